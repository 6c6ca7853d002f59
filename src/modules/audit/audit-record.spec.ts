import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { body, cutUtf8, toAuditLine, toAuditRecord } from '#src/modules/audit/audit-record';
import { JsonText } from '#src/modules/calls/json-text';
import { objectKey, AuditObjectKeys } from '#src/modules/audit/audit-object-key';
import { AUDIT_FIELDS } from '#test/audit/audit-fields';

const event = (over: Partial<CallCompletedEvent> = {}): CallCompletedEvent => ({
  callId: 'call-1',
  clientRequestId: 'client-1',
  startedAt: new Date('2026-03-04T05:06:07.089Z'),
  endpoint: 'chat',
  admitted: true,
  apiKey: { id: 'key-1', name: 'team-a' },
  requestedModel: 'fast',
  alias: 'fast',
  model: { id: 'model-1', name: 'gpt-4o-mini' },
  provider: { id: 'prov-1', name: 'openai-main', type: 'openai' },
  status: 200,
  errorCode: null,
  stream: false,
  usage: {
    promptTokens: 10,
    completionTokens: 5,
    cacheReadTokens: 2,
    cacheWriteTokens: 0,
    reasoningTokens: 1,
    estimated: false,
  },
  costUsd: '0.0000045',
  costNanos: 4500,
  unpriced: false,
  latencyMs: 120.5,
  ttftMs: 80,
  overheadMs: 1.25,
  requestBody: { model: 'fast', messages: [{ role: 'user', content: 'hi' }] },
  responseBody: { id: 'chatcmpl-1' },
  clientIp: '10.0.0.1',
  userAgent: 'curl/8',
  ...over,
});

describe('toAuditRecord', () => {
  const options = { pod: 'pod-a', logBodies: true, bodyMaxBytes: 65536 };

  it('writes exactly the SPEC §8 fields, snake_case, for an admitted call', () => {
    const sut = toAuditRecord(event(), options);
    expect(Object.keys(sut)).toEqual(AUDIT_FIELDS);
    expect(sut).toMatchObject({
      schema_version: 1,
      timestamp: '2026-03-04T05:06:07.089Z',
      model: 'gpt-4o-mini',
      provider_type: 'openai',
      cost_usd: '0.0000045',
      truncated: false,
      pod: 'pod-a',
    });
  });

  it("records the key's team and the request's end user (SPEC §13) only when there are some", () => {
    const sut = toAuditRecord(
      event({ apiKey: { id: 'key-1', name: 'a', teamId: 'team-1' }, endUser: 'alice' }),
      options,
    );
    expect(sut).toMatchObject({ api_key_id: 'key-1', team_id: 'team-1', end_user: 'alice' });
    const keys = Object.keys(sut);
    expect(keys.indexOf('team_id')).toBe(keys.indexOf('api_key_name') + 1);
    const none = toAuditRecord(event({ endUser: null }), options);
    expect('team_id' in none || 'end_user' in none).toBe(false);
  });

  it('names the requested model of a refused call that resolved none', () => {
    const sut = toAuditRecord(
      event({ admitted: false, model: null, provider: null, alias: null, requestedModel: 'nope', apiKey: null }),
      options,
    );
    expect(sut).toMatchObject({ model: 'nope', provider_id: null, provider_type: null, api_key_id: null });
  });

  it('omits both bodies and the truncation flag when LOG_BODIES=false', () => {
    const sut = toAuditRecord(event(), { ...options, logBodies: false });
    expect(sut).not.toHaveProperty('request_body');
    expect(sut).not.toHaveProperty('response_body');
    expect(sut).not.toHaveProperty('truncated');
  });

  it('cuts a body past LOG_BODY_MAX_BYTES to that many bytes of its JSON text and marks the record', () => {
    const long = { messages: [{ role: 'user', content: 'x'.repeat(500) }] };
    const sut = toAuditRecord(event({ requestBody: long }), { ...options, bodyMaxBytes: 100 });
    expect(sut.truncated).toBe(true);
    expect(sut.request_body).toBe(JSON.stringify(long).slice(0, 100));
    expect(sut.response_body).toEqual({ id: 'chatcmpl-1' });
  });

  it('redacts a gateway API key pasted into a body', () => {
    const key = `sk-gw-${'A'.repeat(43)}`;
    const sut = toAuditRecord(event({ requestBody: { messages: [{ content: `my key is ${key}` }] } }), options);
    expect(JSON.stringify(sut)).not.toContain(key);
    expect(sut.request_body).toEqual({ messages: [{ content: 'my key is [redacted]' }] });
  });
});

describe('toAuditLine', () => {
  const options = { pod: 'pod-"a"', logBodies: true, bodyMaxBytes: 120 };
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  // JSON.parse takes any depth, JSON.stringify overflows the stack on it: an upstream's answer can be this deep
  const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;

  it.each([
    ['object bodies', {}],
    ['a string body with quotes, newlines and a pasted key', { requestBody: `say "hi"\n sk-gw-${'B'.repeat(30)} ✓` }],
    ['a body cut mid-way', { requestBody: { content: `"quoted" ${'é'.repeat(100)}` } }],
    ['bodies that are missing', { requestBody: null, responseBody: undefined }],
    ['a body that cannot be serialized', { responseBody: circular }],
    ['a body nested 200,000 levels deep', { requestBody: deep, responseBody: deep }],
    ['odd client facts', { userAgent: 'ua "x"\u2028', clientIp: null, ttftMs: null }],
  ] as [string, Partial<CallCompletedEvent>][])('is one canonical JSON line with %s', (_name, over) => {
    const line = toAuditLine(event(over), options);
    expect(line).not.toContain('\n');
    expect(JSON.stringify(JSON.parse(line))).toBe(line);
    expect(line).not.toMatch(/sk-gw-B/);
    expect(Object.keys(JSON.parse(line) as object)).toEqual(AUDIT_FIELDS);
  });

  it('splices a body kept as the text it arrived in: one line, the same value, keys still redacted', () => {
    const sent = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `line 1\nline 2 sk-gw-${'C'.repeat(30)}` }],
    };
    const text = `\ufeff${JSON.stringify(sent, null, 2).replace(/\n/g, '\r\n')}\r\n`;
    const line = toAuditLine(
      event({ requestBody: JsonText.of(Buffer.from(text)), responseBody: JsonText.of('{ "id" : "chatcmpl-1" }') }),
      { ...options, bodyMaxBytes: 65536 },
    );
    expect(line).not.toMatch(/[\r\n]/);
    const record = JSON.parse(line) as { request_body: unknown; response_body: unknown };
    expect(record.request_body).toEqual({
      ...sent,
      messages: [{ role: 'user', content: 'line 1\nline 2 [redacted]' }],
    });
    expect(record.response_body).toEqual({ id: 'chatcmpl-1' });
    expect(Object.keys(JSON.parse(line) as object)).toEqual(AUDIT_FIELDS);
  });

  it('cuts a body kept as text like a serialized one', () => {
    const long = { content: 'y'.repeat(500) };
    const sut = toAuditRecord(event({ requestBody: JsonText.of(JSON.stringify(long)) }), options);
    expect(sut.truncated).toBe(true);
    expect(sut.request_body).toBe(JSON.stringify(long).slice(0, 120));
  });

  it('stores a body that could not be serialized as a marker, not a crash', () => {
    expect(toAuditRecord(event({ responseBody: circular }), options).response_body).toBe('[unserializable]');
    expect(toAuditRecord(event({ responseBody: deep }), options).response_body).toBe('[unserializable]');
  });
});

describe('body truncation', () => {
  it.each([
    ['ascii', 'abcdef', 4, 'abcd'],
    ['two-byte characters are never split', 'ééé', 5, 'éé'],
    ['four-byte characters are never split', '😀😀', 7, '😀'],
    ['zero bytes', 'abc', 0, ''],
  ])('%s', (_name, text, max, expected) => {
    expect(cutUtf8(text, max)).toBe(expected);
    expect(Buffer.byteLength(cutUtf8(text, max))).toBeLessThanOrEqual(max);
  });

  it('keeps a body that fits as the original JSON value', () => {
    const value = { a: [1, 2] };
    expect(body(value, 1000)).toEqual({ value, truncated: false });
  });
});

describe('object keys', () => {
  it('follows {prefix}YYYY/MM/DD/{pod}-{unix-ms}-{nanos}.jsonl.gz in UTC', () => {
    const ms = Date.UTC(2026, 0, 2, 23, 59, 59, 999);
    expect(objectKey('logs/', 'api-1', ms, 42)).toBe(`logs/2026/01/02/api-1-${ms}-000042.jsonl.gz`);
  });

  it('never repeats a name within a process, even when the clock reads the same twice', () => {
    const sut = new AuditObjectKeys('', 'p', () => ({ ms: 1000, nanos: 5 }));
    const names = new Set(Array.from({ length: 1000 }, () => sut.next()));
    expect(names.size).toBe(1000);
  });
});
