import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';
import type { ResolvedModel } from '#src/modules/models/model-resolver.service';
import type { CallEndpoint } from '#src/modules/calls/call-event';

export interface AdmissionRequest {
  callId: string;
  key: AuthenticatedKey;
  model: ResolvedModel;
  endpoint: CallEndpoint;
  /** Upper bound of the prompt tokens, computed only when a limit needs it. */
  promptTokenUpperBound: () => number;
  /** The output limit the client asked for (max_completion_tokens / max_tokens), if any. */
  requestedOutputTokens: number | null;
  /** `service_tier` of the request, for tiered prices. */
  serviceTier: string | null;
  /** Completions asked for (`n`), each up to the output limit; 1 when absent. */
  choices?: number;
  /**
   * The other models a routed call may be answered by (SPEC §11), each with its provider's prompt bound: the
   * budget reserves the worst case over `model` and these.
   */
  alternatives?: { model: ResolvedModel; promptTokenUpperBound: () => number }[];
}

export interface Settlement {
  /** Tokens the call used (charged to tokens_per_minute). */
  totalTokens: number;
  /** Real cost in nano-dollars, rounded up. */
  costNanos: number;
}

/** An admitted call: what to send upstream, what to tell the client, and how to settle when it ends. */
export interface Admission {
  /** The output limit to send upstream (set for keys with a budget), or null to leave the request as is. */
  outputLimit: number | null;
  /** Set when the budget lowered the client's output limit: reported in `x-gateway-max-tokens`. */
  loweredOutputLimit: number | null;
  /** `x-ratelimit-*` headers for the response. */
  headers: Record<string, string>;
  /**
   * The budget periods (budget-period.ts ids) the call counts in for its key and its team, taken from Redis
   * server time at admission; from this process's clock when the call was not admitted through Redis (no limits,
   * or fail-open).
   */
  periods: CallPeriods;
  /** The admission instant by Redis server time (null as for `month`). */
  admittedAt: Date | null;
  /**
   * Settles the reservation to the real cost and charges tokens. Resolves true when the cost went into every
   * budget counter of the call (key and team); false when it did not (no budget, the reservation lapsed or was
   * released), and the billing processor adds it. The money part applies at most once per call.
   */
  settle(settlement: Settlement): Promise<boolean>;
  /** Keeps an open stream's reservation alive. */
  refresh(): Promise<void>;
  /**
   * Gives back what the admission took (its request slot and reservation) when the call is refused after it, before
   * any provider was called (every routing target at its provider quota). Never rejects.
   */
  release(): Promise<void>;
}

/** The budget period ids a call counts in: its key's, and its team's when the key has one. */
export interface CallPeriods {
  key: string;
  team?: string;
}

/** A key's (or its team's) budget period so far, for `GET /gateway/key`. Money as USD decimal strings. */
export interface KeySpendView {
  /** `YYYY-MM` of a month period (kept for clients of the monthly budget); absent for day and week periods. */
  month?: string;
  period: { kind: string; start: string };
  spent_usd: string;
  reserved_usd: string;
  remaining_usd: string | null;
}

/** Admits or refuses a call against the key's rate limit, token limit and budget (one Redis round trip). */
export abstract class AdmissionService {
  /** Throws an AppException (429, or 503 when Redis is down and REDIS_FAILURE_MODE=closed) when refused. */
  abstract admit(request: AdmissionRequest): Promise<Admission>;

  /** The current budget period's spend of a key and of its team (null when it has none). */
  abstract spendOf(key: AuthenticatedKey): Promise<{ key: KeySpendView; team: KeySpendView | null }>;
}
