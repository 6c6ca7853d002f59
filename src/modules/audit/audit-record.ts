import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { JsonText } from '#src/modules/calls/json-text';
import { API_KEY_PREFIX } from '#src/modules/keys/api-key-secret';

/** One line of an audit log object (SPEC §8). Field order is the order written. */
export interface AuditRecord {
  schema_version: 1;
  call_id: string;
  client_request_id: string | null;
  timestamp: string;
  api_key_id: string | null;
  api_key_name: string | null;
  /** The key's team (SPEC §13), when it has one. */
  team_id?: string;
  /** The request's end user: OpenAI's `user` or Anthropic's `metadata.user_id` (SPEC §13), when it names one. */
  end_user?: string;
  provider_id: string | null;
  provider_type: string | null;
  model: string | null;
  alias: string | null;
  /** The API surface: chat, embeddings, responses, messages. */
  api: string;
  /** Claude Code's session id (`x-claude-code-session-id`), only when the client sent a valid one. */
  session_id?: string;
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
  /** Calls of a cache-enabled route (SPEC §14): answered from the cache, and what that saved (USD). */
  cache_hit?: boolean;
  saved_usd?: string;
  /** Built-in tools dropped for a translated target (Responses); only when some were. */
  dropped_tools?: string[];
  /** Calls of a routed alias: each upstream attempt, the answering one last (SPEC §11). */
  attempts?: { model: string; provider_id: string; status: number; error_code: string | null; latency_ms: number }[];
  /** The call's trace and span (SPEC §16), when tracing is on. */
  trace_id?: string;
  span_id?: string;
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

/**
 * The record as the JSON line the log stores. Bodies are serialized once (for the size limit and the key
 * redaction), or taken as the text they arrived in (`JsonText`), and spliced in as that text, never parsed back;
 * the line parses to the record.
 */
export function toAuditLine(e: CallCompletedEvent, o: AuditRecordOptions): string {
  const head = {
    schema_version: 1,
    call_id: e.callId,
    client_request_id: e.clientRequestId,
    timestamp: e.startedAt.toISOString(),
    api_key_id: e.apiKey?.id ?? null,
    api_key_name: e.apiKey?.name ?? null,
    ...(e.apiKey?.teamId ? { team_id: e.apiKey.teamId } : {}),
    ...(e.endUser ? { end_user: e.endUser } : {}),
    provider_id: e.provider?.id ?? null,
    provider_type: e.provider?.type ?? null,
    model: e.model?.name ?? e.requestedModel,
    alias: e.alias,
    api: e.endpoint,
    ...(e.sessionId ? { session_id: e.sessionId } : {}),
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
    estimated: e.usage.estimated === true,
    cost_usd: e.costUsd,
    ...(e.cache ? { cache_hit: e.cache === 'hit', saved_usd: e.savedUsd ?? '0' } : {}),
    ...(e.droppedTools?.length ? { dropped_tools: e.droppedTools } : {}),
    ...(e.attempts?.length
      ? {
          attempts: e.attempts.map((a) => ({
            model: a.model,
            provider_id: a.providerId,
            status: a.status,
            error_code: a.errorCode,
            latency_ms: a.latencyMs,
          })),
        }
      : {}),
    ...(e.trace ? { trace_id: e.trace.traceId, span_id: e.trace.spanId } : {}),
  };
  const open = JSON.stringify(head).slice(0, -1);
  // the client facts close the record; with bodies, they go after them so a reader sees the bodies next to the call
  const close = JSON.stringify({ client_ip: e.clientIp, user_agent: e.userAgent, pod: o.pod }).slice(1);
  if (!o.logBodies) return `${open},${close}`;
  const request = bodyJson(e.requestBody, o.bodyMaxBytes);
  const response = bodyJson(e.responseBody, o.bodyMaxBytes);
  const truncated = request.truncated || response.truncated;
  return `${open},"request_body":${request.json},"response_body":${response.json},"truncated":${truncated},${close}`;
}

/** The record as an object (what a reader of the log gets back). */
export function toAuditRecord(e: CallCompletedEvent, o: AuditRecordOptions): AuditRecord {
  return JSON.parse(toAuditLine(e, o)) as AuditRecord;
}

/** The body as JSON; past `maxBytes` of serialized UTF-8, the serialized text cut at a character boundary. */
export function body(value: unknown, maxBytes: number): { value: unknown; truncated: boolean } {
  const { json, truncated } = bodyJson(value, maxBytes);
  return { value: JSON.parse(json) as unknown, truncated };
}

function bodyJson(value: unknown, maxBytes: number): { json: string; truncated: boolean } {
  if (value === undefined || value === null) return { json: 'null', truncated: false };
  const raw = value instanceof JsonText ? value.text : typeof value === 'string' ? value : safeStringify(value);
  // the key pattern holds no quote or backslash, so redacting serialized JSON keeps it valid JSON
  const text = raw.includes(API_KEY_PREFIX) ? raw.replace(GATEWAY_KEY_PATTERN, '[redacted]') : raw;
  if (Buffer.byteLength(text, 'utf8') <= maxBytes)
    return { json: typeof value === 'string' ? JSON.stringify(text) : text, truncated: false };
  return { json: JSON.stringify(cutUtf8(text, maxBytes)), truncated: true };
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
