import type { UsageCounts } from '#src/modules/providers/provider-adapter';

export type CallEndpoint = 'chat' | 'embeddings';

/** Usage as billed: OpenAI semantics, `estimated` when the gateway counted tokens itself. */
export interface BilledUsage extends Omit<UsageCounts, 'providerCostUsd'> {
  estimated: boolean;
}

/**
 * One finished request that reached the proxy: admitted calls (success, upstream error, client abort) and
 * refused ones (bad key, unknown model, limits). Billing consumes the admitted ones, the audit log all.
 */
export interface CallCompletedEvent {
  callId: string;
  clientRequestId: string | null;
  /** When the call arrived. */
  startedAt: Date;
  /**
   * The UTC month the call counts in and its admission instant, both by Redis server time (admitted calls
   * metered in Redis); absent otherwise, when the call counts in `startedAt`'s month.
   */
  period?: { month: string; admittedAt: Date };
  /**
   * Whether the call's cost already went into the key's Redis month counter at settlement. When false, the
   * billing processor adds it as it writes the usage row (LATE_SETTLE_LUA). Absent on refused calls.
   */
  spendSettled?: boolean;
  endpoint: CallEndpoint;
  /** Whether the call passed admission (and so is billed). */
  admitted: boolean;
  apiKey: { id: string; name: string } | null;
  /** What the client asked for (an alias or model name), when it sent one. */
  requestedModel: string | null;
  alias: string | null;
  model: { id: string; name: string } | null;
  provider: { id: string; name: string; type: string } | null;
  status: number;
  errorCode: string | null;
  stream: boolean;
  usage: BilledUsage;
  /** USD, plain decimal; '0' when unpriced. */
  costUsd: string;
  /** Nano-dollars settled in Redis for this call (integer, rounded up). */
  costNanos: number;
  unpriced: boolean;
  latencyMs: number;
  ttftMs: number | null;
  overheadMs: number;
  requestBody: unknown;
  /** Non-streamed: the response object. Streamed: the assembled text and tool calls. */
  responseBody: unknown;
  clientIp: string | null;
  userAgent: string | null;
}

export const ZERO_USAGE: BilledUsage = {
  promptTokens: 0,
  completionTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  estimated: false,
};
