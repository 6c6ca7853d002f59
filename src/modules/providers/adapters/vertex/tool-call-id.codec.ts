import { randomBytes } from 'node:crypto';

/** Ends the random hex id (which has no underscores) and starts the thought signature it carries. */
const SIGNATURE_MARK = '__ts__';

/**
 * OpenAI tool-call ids for Gemini function calls, which have none. Gemini 3 also requires the call's
 * `thoughtSignature` back with the function call in the next turn, and OpenAI clients return only the id,
 * so the signature travels inside it (`call_<hex>__ts__<base64url>`).
 */
export function newToolCallId(thoughtSignature?: string): string {
  const id = `call_${randomBytes(12).toString('hex')}`;
  return thoughtSignature
    ? `${id}${SIGNATURE_MARK}${Buffer.from(thoughtSignature, 'base64').toString('base64url')}`
    : id;
}

/** The thought signature an id carries, in Vertex's base64, if any. */
export function thoughtSignatureOf(id: string): string | undefined {
  const at = id.indexOf(SIGNATURE_MARK);
  if (at < 0) return undefined;
  const sig = id.slice(at + SIGNATURE_MARK.length);
  return sig ? Buffer.from(sig, 'base64url').toString('base64') : undefined;
}
