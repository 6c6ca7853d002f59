import type { JsonObject } from '#src/modules/providers/provider-adapter';

/**
 * Below this size a body is serialized as before: splicing saves nothing measurable on a small body
 * (bench/README, "The upstream body").
 */
export const SPLICE_MIN_BYTES = 4096;

/** Test runs freeze the parsed body (read once: `process.env` is a lookup in the environment, every time). */
const FREEZE_PARSED = process.env.NODE_ENV === 'test';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function skipSpace(buf: Buffer, i: number): number {
  while (isSpace(buf[i])) i++;
  return i;
}

/** Just past the string that opens at `i`, or -1. Jumps from quote to quote (native search), not byte by byte. */
function endOfString(buf: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = buf.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (buf[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Just past the JSON value that starts at `i` (no space before it), or -1. */
function endOfValue(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === QUOTE) return endOfString(buf, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < buf.length;) {
      const b = buf[j];
      if (b === QUOTE) {
        j = endOfString(buf, j);
        if (j < 0) return -1;
        continue;
      }
      if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
      else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) return j + 1;
      j++;
    }
    return -1;
  }
  let j = i;
  while (j < buf.length) {
    const b = buf[j];
    if (b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || isSpace(b)) break;
    j++;
  }
  return j > i ? j : -1;
}

/**
 * A request body as parsed, with the bytes it was parsed from. An upstream body is mostly the client's (model
 * replaced, an output limit or `stream` set, the rest untouched), and an agent's prompt is tens to hundreds of
 * kilobytes: `encode` writes each top-level member whose value is still the one parsed as the client's text,
 * decoded from its bytes (a copy, cheaper than serializing: bench/README, "The upstream body"), and serializes
 * only the members the gateway set. The result is a string, like JSON.stringify's: a Buffer per call is memory
 * outside V8's heap, and V8's GC helper threads did more work with it in a measurement. The parsed body must not
 * be changed in place (the code builds new objects by spreading; test runs freeze it to keep that true); a
 * member replaced at the top level is detected and serialized.
 */
export class RawJsonObject {
  private constructor(
    private readonly raw: Buffer,
    /** Each top-level member's value as parsed, and where its text is in `raw`. */
    private readonly members: Map<string, { value: unknown; start: number; end: number }>,
  ) {}

  /**
   * The body's members located in its bytes; null when splicing is not safe or not worth it: a small body, a
   * key written with an escape, a key given twice (the parsed value is the last one), anything but an object.
   * Bytes that are not UTF-8 decode to U+FFFD here as they did for the parser.
   */
  static of(raw: Buffer | undefined, parsed: unknown, minBytes = SPLICE_MIN_BYTES): RawJsonObject | null {
    if (FREEZE_PARSED) deepFreeze(parsed);
    if (!Buffer.isBuffer(raw) || raw.length < minBytes) return null;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const body = parsed as JsonObject;
    const members = new Map<string, { value: unknown; start: number; end: number }>();
    let i = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
    i = skipSpace(raw, i);
    if (raw[i] !== OPEN_OBJECT) return null;
    i = skipSpace(raw, i + 1);
    if (raw[i] !== CLOSE_OBJECT) {
      for (;;) {
        if (raw[i] !== QUOTE) return null;
        const keyEnd = endOfString(raw, i);
        if (keyEnd < 0) return null;
        const backslash = raw.indexOf(BACKSLASH, i);
        if (backslash >= 0 && backslash < keyEnd) return null;
        const key = raw.toString('utf8', i + 1, keyEnd - 1);
        i = skipSpace(raw, keyEnd);
        if (raw[i] !== COLON) return null;
        const start = skipSpace(raw, i + 1);
        const end = endOfValue(raw, start);
        if (end < 0 || members.has(key) || !Object.hasOwn(body, key)) return null;
        members.set(key, { value: body[key], start, end });
        i = skipSpace(raw, end);
        if (raw[i] === CLOSE_OBJECT) break;
        if (raw[i] !== COMMA) return null;
        i = skipSpace(raw, i + 1);
      }
    }
    if (skipSpace(raw, i + 1) !== raw.length || members.size !== Object.keys(body).length) return null;
    return new RawJsonObject(raw, members);
  }

  /**
   * `obj` as JSON: what `JSON.stringify(obj)` gives, except that each member still holding the value parsed
   * from the client's body is the client's text of it.
   */
  encode(obj: JsonObject): string {
    let text = '{';
    let spliced = false;
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      const member = this.members.get(key);
      let json: string | undefined;
      if (member !== undefined && member.value === value) {
        json = this.raw.toString('utf8', member.start, member.end);
        spliced = true;
      } else json = JSON.stringify(value);
      if (json === undefined) continue;
      text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${json}`;
    }
    return spliced ? `${text}}` : JSON.stringify(obj);
  }
}

/** `obj` as the upstream body: spliced from the client's bytes when `source` has them (see RawJsonObject). */
export function encodeBody(obj: JsonObject, source: RawJsonObject | null | undefined): string {
  return source ? source.encode(obj) : JSON.stringify(obj);
}

function deepFreeze(value: unknown): void {
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
