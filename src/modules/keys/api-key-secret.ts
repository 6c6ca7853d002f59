import { hash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'sk-gw-';
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

export interface GeneratedKey {
  plaintext: string;
  hash: string;
  displayPrefix: string;
}

/** A new API key: `sk-gw-` + 32 random bytes (base64url); only its SHA-256 and a short prefix are kept. */
export function generateApiKey(): GeneratedKey {
  const plaintext = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { plaintext, hash: hashApiKey(plaintext), displayPrefix: plaintext.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/** SHA-256 in hex; on every proxied call, so the one-shot `crypto.hash` (less than half of createHash's cost). */
export function hashApiKey(plaintext: string): string {
  return hash('sha256', plaintext, 'hex');
}
