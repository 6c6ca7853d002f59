import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { API_KEY_PREFIX } from '#src/modules/keys/api-key-secret';

/** One line of an audit log object (SPEC §8). Field order is the order written. */
export interface AuditRecord {
  schema_version: 1;
  call_id: string;
  client_request_id: string | null;
  timestamp: string;
  api_key_id: string | null;
  api_key_name: string | null;
  provider_id: string | null;
  provider_type: string | null;
  model: string | null;
  alias: string | null;
  status: number;
  error_code: string | null;
  stream: boolean;
  latency_ms: number;
  ttft_ms: number | null;
  overhead_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  estimated: boolean;
  /** USD as an exact decimal string ('0' when unpriced or refused). */
  cost_usd: string;
  request_body?: unknown;
  response_body?: unknown;
  /** Present with the bodies: true when at least one of them was cut at LOG_BODY_MAX_BYTES. */
  truncated?: boolean;
  client_ip: string | null;
  user_agent: string | null;
  pod: string;
}

export interface AuditRecordOptions {
  pod: string;
  logBodies: boolean;
  bodyMaxBytes: number;
}

/** A gateway API key that a client pasted into a body (a prompt, a field) never reaches the audit log. */
const GATEWAY_KEY_PATTERN = new RegExp(`${API_KEY_PREFIX}[A-Za-z0-9_-]{20,}`, 'g');

export function toAuditRecord(e: CallCompletedEvent, o: AuditRecordOptions): AuditRecord {
  const record: AuditRecord = {
    schema_version: 1,
    call_id: e.callId,
    client_request_id: e.clientRequestId,
    timestamp: e.startedAt.toISOString(),
    api_key_id: e.apiKey?.id ?? null,
    api_key_name: e.apiKey?.name ?? null,
    provider_id: e.provider?.id ?? null,
    provider_type: e.provider?.type ?? null,
    model: e.model?.name ?? e.requestedModel,
    alias: e.alias,
    status: e.status,
    error_code: e.errorCode,
    stream: e.stream,
    latency_ms: e.latencyMs,
    ttft_ms: e.ttftMs,
    overhead_ms: e.overheadMs,
    prompt_tokens: e.usage.promptTokens,
    completion_tokens: e.usage.completionTokens,
    cache_read_tokens: e.usage.cacheReadTokens,
    cache_write_tokens: e.usage.cacheWriteTokens,
    reasoning_tokens: e.usage.reasoningTokens,
    estimated: e.usage.estimated,
    cost_usd: e.costUsd,
    client_ip: e.clientIp,
    user_agent: e.userAgent,
    pod: o.pod,
  };
  if (!o.logBodies) return record;
  const request = body(e.requestBody, o.bodyMaxBytes);
  const response = body(e.responseBody, o.bodyMaxBytes);
  // bodies go before the client facts so a reader sees them next to the call they belong to
  const { client_ip, user_agent, pod, ...head } = record;
  return {
    ...head,
    request_body: request.value,
    response_body: response.value,
    truncated: request.truncated || response.truncated,
    client_ip,
    user_agent,
    pod,
  };
}

/** The body as JSON; past `maxBytes` of serialized UTF-8, the serialized text cut at a character boundary. */
export function body(value: unknown, maxBytes: number): { value: unknown; truncated: boolean } {
  if (value === undefined || value === null) return { value: null, truncated: false };
  const raw = typeof value === 'string' ? value : safeStringify(value);
  const text = raw.includes(API_KEY_PREFIX) ? raw.replace(GATEWAY_KEY_PATTERN, '[redacted]') : raw;
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) {
    if (text === raw) return { value, truncated: false };
    return { value: typeof value === 'string' ? text : (JSON.parse(text) as unknown), truncated: false };
  }
  return { value: cutUtf8(text, maxBytes), truncated: true };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"[unserializable]"';
  }
}

/** The longest prefix of `text` whose UTF-8 encoding fits `maxBytes`, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  // step back over continuation bytes (10xxxxxx) to the start of the character that did not fit
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
