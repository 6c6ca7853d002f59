import type { TraceIds } from '#src/core/tracing/tracing';
import type { CallPeriods } from '#src/modules/calls/admission';
import type { Usage } from '#src/modules/calls/usage';

/** The API surface a call came through (the audit record's `api`). */
export type CallEndpoint = 'chat' | 'embeddings' | 'responses' | 'messages';

/** One upstream attempt of a call (SPEC §11): the answering one last. */
export interface AttemptRecord {
  model: string;
  providerId: string;
  providerName: string;
  status: number;
  errorCode: string | null;
  latencyMs: number;
}

/**
 * One finished request that reached the proxy: admitted calls (success, upstream error, client abort) and
 * refused ones (bad key, unknown model, limits). Billing consumes the admitted ones, the audit log all.
 */
export interface CallCompletedEvent {
  /** The call's span when tracing is on (SPEC §16): billing and audit jobs link to it. */
  trace?: TraceIds;
  callId: string;
  clientRequestId: string | null;
  /** When the call arrived. */
  startedAt: Date;
  /**
   * Admitted calls: the budget periods the call counts in (key and team) and its admission instant, both by Redis
   * server time when metered in Redis (`admittedAt` null otherwise: the periods are by this process's clock).
   */
  period?: { periods: CallPeriods; admittedAt: Date | null };
  /**
   * Whether the call's cost already went into the key's Redis month counter at settlement. When false, the
   * billing processor adds it as it writes the usage row (LATE_SETTLE_LUA). Absent on refused calls.
   */
  spendSettled?: boolean;
  endpoint: CallEndpoint;
  /** Whether the call passed admission (and so is billed). */
  admitted: boolean;
  apiKey: { id: string; name: string; teamId?: string | null } | null;
  /** The application's end user: OpenAI's `user` or Anthropic's `metadata.user_id` (SPEC §13). */
  endUser?: string | null;
  /** What the client asked for (an alias or model name), when it sent one. */
  requestedModel: string | null;
  alias: string | null;
  model: { id: string; name: string } | null;
  provider: { id: string; name: string; type: string } | null;
  status: number;
  errorCode: string | null;
  stream: boolean;
  /** `estimated` when the gateway counted the tokens; no `providerCostUsd` (it went into the cost). */
  usage: Usage;
  /** USD, plain decimal; '0' when unpriced. */
  costUsd: string;
  /** Nano-dollars settled in Redis for this call (integer, rounded up). */
  costNanos: number;
  unpriced: boolean;
  latencyMs: number;
  ttftMs: number | null;
  overheadMs: number;
  /** Admitted calls of a routed alias: every upstream attempt, in order, the answering one last. */
  attempts?: AttemptRecord[];
  /** A routed call answered (or last tried) by a target of a later priority group than its first. */
  fellBack?: boolean;
  /** Built-in tools the surface dropped because the target cannot run them (Responses, translated). */
  droppedTools?: string[];
  /** The client's session id (Claude Code's `x-claude-code-session-id`), when valid. */
  sessionId?: string;
  /** What the response cache did (SPEC §14); absent when the call's route has no cache. */
  cache?: 'hit' | 'miss' | 'bypass';
  /** A cache hit: the cost of the answer it replayed (USD, plain decimal), which the call did not bill. */
  savedUsd?: string;
  requestBody: unknown;
  /** Non-streamed: the response object. Streamed: the assembled text and tool calls. */
  responseBody: unknown;
  clientIp: string | null;
  userAgent: string | null;
}
