import { encodeBody, RawJsonObject, SPLICE_MIN_BYTES } from '#src/modules/calls/raw-json-object';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

/** The client's bytes and the body Fastify parses from them; splicing with no size threshold. */
function source(text: string): { raw: Buffer; parsed: JsonObject; src: RawJsonObject | null } {
  const raw = Buffer.from(text);
  const parsed = JSON.parse(text.replace(/^\uFEFF/, '')) as JsonObject;
  return { raw, parsed, src: RawJsonObject.of(raw, parsed, 0) };
}

describe('RawJsonObject', () => {
  const client = `{
    "model" : "gpt",
    "messages": [ {"role":"system","content":"caf\\u00e9 {not a brace} \\"quoted\\" \\\\"},
                  {"role": "user", "content": "x"} ],
    "temperature": 1.0,
    "tools" : [],
    "n":null
  }`;

  it('writes unchanged members as the client sent them and serializes the members the gateway set', () => {
    const { parsed, src } = source(client);
    const upstream = { ...parsed, model: 'gpt-4o-2024-08-06', stream: false };
    const out = src!.encode(upstream);
    expect(JSON.parse(out)).toEqual(upstream);
    // the client's escapes and spacing inside the members it sent, the gateway's values where it set them
    expect(out).toContain('"messages":[ {"role":"system","content":"caf\\u00e9 {not a brace}');
    expect(out).toContain('"temperature":1.0,');
    expect(out).toMatch(/^\{"model":"gpt-4o-2024-08-06","messages":\[/);
    expect(out.endsWith(',"stream":false}')).toBe(true);
  });

  it('serializes a member replaced at the top level, drops a removed one and skips undefined values', () => {
    const { parsed, src } = source(client);
    const { temperature: _dropped, ...rest } = parsed;
    const upstream = { ...rest, messages: [{ role: 'user', content: 'new' }], n: undefined, max_tokens: 5 };
    const out = src!.encode(upstream);
    const { n: _undefined, ...sent } = upstream;
    expect(JSON.parse(out)).toEqual(sent);
    expect(out).not.toContain('temperature');
    expect(out).not.toContain('"n"');
    expect(out).not.toContain('caf\\u00e9');
  });

  it('is exactly JSON.stringify when no member is the parsed one', () => {
    const { src } = source(client);
    const other = { model: 'x', messages: [], temperature: 2 };
    expect(src!.encode(other)).toBe(JSON.stringify(other));
    expect(encodeBody(other, null)).toBe(JSON.stringify(other));
  });

  it('writes members in the order of the object it encodes', () => {
    const { parsed, src } = source('{"a":1.50,"b":"B","c":[1, 2]}');
    const out = src!.encode({ c: parsed.c, z: 0, a: parsed.a });
    expect(out).toBe('{"c":[1, 2],"z":0,"a":1.50}');
  });

  it('keeps a string whose escaped backslash ends right before its closing quote', () => {
    const { parsed, src } = source('{"p":"ends with \\\\","q":"\\"","r":{"s":"]}"}}');
    const out = src!.encode({ ...parsed, m: 1 });
    expect(JSON.parse(out)).toEqual({ ...parsed, m: 1 });
    expect(out).toBe('{"p":"ends with \\\\","q":"\\"","r":{"s":"]}"},"m":1}');
  });

  it('reads a body with a byte order mark', () => {
    const { parsed, src } = source('\uFEFF{"a":"é"}');
    expect(src!.encode({ ...parsed, b: 2 })).toBe('{"a":"é","b":2}');
  });

  it.each([
    ['a key given twice (the parsed value is the last)', '{"a":1,"a":2}'],
    ['a key written with an escape', '{"\\u0061":1}'],
    ['an array', '[1,2]'],
    ['a string', '"text"'],
  ])('does not splice %s', (_what, body) => {
    expect(source(body).src).toBeNull();
  });

  it('decodes bytes that are not UTF-8 as the parser did (U+FFFD)', () => {
    const raw = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const parsed = JSON.parse(raw.toString('utf8')) as JsonObject;
    expect(RawJsonObject.of(raw, parsed, 0)!.encode({ ...parsed, b: 1 })).toBe('{"a":"\uFFFD","b":1}');
  });

  it(`leaves bodies under ${SPLICE_MIN_BYTES} bytes to JSON.stringify`, () => {
    const small = '{"model":"m","messages":[]}';
    expect(RawJsonObject.of(Buffer.from(small), JSON.parse(small))).toBeNull();
    const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(SPLICE_MIN_BYTES) }] });
    expect(RawJsonObject.of(Buffer.from(big), JSON.parse(big))).not.toBeNull();
  });

  it('freezes the parsed body in test runs, so code that changes it in place fails here', () => {
    const { parsed } = source(client);
    expect(() => {
      (parsed.messages as JsonObject[])[0].content = 'changed';
    }).toThrow(TypeError);
  });

  it('gives what JSON.stringify gives, as a value, for random bodies in random layouts', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const strings = ['', 'a', 'é', '"', '\\', '\\"', '{', ']', 'line\nbreak', '\u2028', '😀', 'tab\t'];
    const value = (depth: number): unknown => {
      switch (random(depth > 2 ? 4 : 6)) {
        case 0:
          return strings[random(strings.length)] + strings[random(strings.length)];
        case 1:
          return random(2) ? random(1000) / 8 : -random(50);
        case 2:
          return [true, false, null][random(3)];
        case 3:
          return strings[random(strings.length)];
        case 4:
          return Array.from({ length: random(4) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: random(4) }, (_, i) => [`k${i}`, value(depth + 1)]));
      }
    };
    for (let round = 0; round < 300; round++) {
      const body = Object.fromEntries(Array.from({ length: 1 + random(6) }, (_, i) => [`m${i}`, value(0)]));
      const layout = [undefined, 2, '\t', ' '][random(4)];
      const { parsed, src } = source(JSON.stringify(body, null, layout));
      expect(src).not.toBeNull();
      const keys = Object.keys(parsed);
      const changed: JsonObject = { ...parsed, model: `m${round}` };
      if (keys.length > 1) delete changed[keys[random(keys.length)]];
      if (keys.length > 2) changed[keys[random(keys.length)]] = { replaced: round };
      expect(JSON.parse(src!.encode(changed))).toEqual(JSON.parse(JSON.stringify(changed)));
    }
  });
});
