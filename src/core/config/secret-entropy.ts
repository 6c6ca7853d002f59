import { deflateRawSync } from 'node:zlib';

/** Bytes of entropy JWT_SECRET must hold in production (HS256's key size). */
export const JWT_SECRET_MIN_ENTROPY_BYTES = 32;

const CLASSES: [RegExp, number][] = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[^A-Za-z0-9]/, 33],
];

/** Only base64 (`+/`, `=` padding) or base64url (`-_`) symbols. */
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

/**
 * A conservative estimate of a secret's entropy in bits: its length times log2 of the alphabet it draws
 * from (16 for hex, 64 for base64 or base64url with both letter cases, else the character classes it uses, counting at most three times the distinct
 * characters present), and never more than its deflated size, so repeated or patterned strings (`aaaa…`,
 * `abcabc…`) score low. A random 32-byte key as hex (64 characters) or base64 (43-44) reaches 256 bits; a
 * 28-character phrase does not.
 */
export function estimateEntropyBits(secret: string): number {
  if (secret.length === 0) return 0;
  const chars = [...secret];
  const pool = /^[0-9a-f]+$/i.test(secret)
    ? 16
    : BASE64.test(secret) && /[a-z]/.test(secret) && /[A-Z]/.test(secret)
      ? // base64 or base64url: its 64 symbols, whichever of them a particular key happens to use (a random
        // 43-character key lacks a digit or `-`/`_` often enough that counting classes would refuse it)
        64
      : CLASSES.reduce((sum, [re, size]) => (re.test(secret) ? sum + size : sum), 0);
  const distinct = new Set(chars).size;
  const alphabet = Math.max(2, Math.min(pool, distinct * 3));
  return Math.min(chars.length * Math.log2(alphabet), deflateRawSync(Buffer.from(secret)).length * 8);
}
