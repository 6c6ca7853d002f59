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
 * from (16 for hex, 64 for base64 or base64url with both letter cases, else the character classes it uses), and
 * never more than its deflated size, so repeated or patterned strings (`aaaa…`, `abcabc…`) score low. A string
 * that uses few distinct characters counts at most three times their number as its alphabet, except a base64
 * string with 16 or more: a random 32-byte key in base64url (43 characters) uses about 31 of the 64 symbols,
 * but 20 or fewer about once in 1.5 million keys (2 in 3,000,000 simulated; CI drew one), and three times that
 * would have refused it. A random 32-byte key as hex (64 characters) or base64 (43-44) reaches 256 bits; a
 * 28-character phrase does not.
 */
export function estimateEntropyBits(secret: string): number {
  if (secret.length === 0) return 0;
  const chars = [...secret];
  const distinct = new Set(chars).size;
  const hex = /^[0-9a-f]+$/i.test(secret);
  // base64 or base64url: its 64 symbols, whichever of them a particular key happens to use (a random
  // 43-character key lacks a digit or `-`/`_` often enough that counting classes would refuse it)
  const base64 = !hex && BASE64.test(secret) && /[a-z]/.test(secret) && /[A-Z]/.test(secret);
  const pool = hex ? 16 : base64 ? 64 : CLASSES.reduce((sum, [re, size]) => (re.test(secret) ? sum + size : sum), 0);
  const alphabet = base64 && distinct >= 16 ? 64 : Math.max(2, Math.min(pool, distinct * 3));
  return Math.min(chars.length * Math.log2(alphabet), deflateRawSync(Buffer.from(secret)).length * 8);
}
