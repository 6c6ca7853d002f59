import type { IncomingHttpHeaders } from 'node:http';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';

/** The session header Claude Code sends on every request (2.x). */
const SESSION_HEADER = 'x-claude-code-session-id';
const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * Claude Code 1.0.x sends no session header: its session is the end of `metadata.user_id`,
 * `user_<hash>_account_<uuid or empty>_session_<uuid>`.
 */
const USER_ID_SESSION = /_session_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** Claude Code's session id for the audit record: the header when it looks like an id, else `metadata.user_id`'s. */
export function claudeCodeSessionId(headers: IncomingHttpHeaders, body: JsonObject): string | null {
  const raw = headers[SESSION_HEADER];
  const header = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (header) return SESSION_ID.test(header) ? header : null;
  const userId = isObject(body.metadata) ? body.metadata.user_id : undefined;
  return typeof userId === 'string' ? (USER_ID_SESSION.exec(userId)?.[1] ?? null) : null;
}
