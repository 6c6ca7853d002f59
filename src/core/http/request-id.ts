import type { IncomingMessage } from 'node:http';
import { newId } from '#src/core/database/ids';

const CLIENT_REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client's `x-request-id` when it is at most 128 characters of `[A-Za-z0-9._:-]`, else null. */
export function validClientRequestId(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  return value && CLIENT_REQUEST_ID_RE.test(value) ? value : null;
}

/** Fastify `genReqId`: the client's valid x-request-id, else a new UUIDv7 (which then doubles as the call id). */
export function generateRequestId(req: IncomingMessage): string {
  return validClientRequestId(req.headers['x-request-id']) ?? newId();
}

/** The surface a path belongs to decides the error shape: OpenAI's on the proxy, Nest's on the admin API. */
export function isProxyPath(url: string): boolean {
  return url.startsWith('/v1/') || url === '/v1' || url.startsWith('/gateway/');
}

/** Anthropic's Messages surface (`/v1/messages`, `/v1/messages/count_tokens`): errors in Anthropic's shape. */
export function isAnthropicPath(url: string): boolean {
  return url === '/v1/messages' || url.startsWith('/v1/messages/') || url.startsWith('/v1/messages?');
}
