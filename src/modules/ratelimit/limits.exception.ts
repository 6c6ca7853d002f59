import { AppException } from '#src/core/errors/app.exception';

export enum LimitsErrorCode {
  RateLimited = 'rate_limit_exceeded',
  BudgetExceeded = 'budget_exceeded',
  ServiceUnavailable = 'service_unavailable',
}

/** Refusals of the admission step (SPEC §3): rate and token limits, budgets, Redis down with REDIS_FAILURE_MODE=closed. */
export class LimitsException extends AppException {
  static rateLimited(message: string, retryAfterMs: number, headers: Record<string, string>): LimitsException {
    return new LimitsException(LimitsErrorCode.RateLimited, 429, message, {
      type: 'rate_limit_error',
      headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    });
  }

  static budgetExceeded(message: string): LimitsException {
    return new LimitsException(LimitsErrorCode.BudgetExceeded, 429, message, {
      type: 'insufficient_quota',
      headers: { 'x-should-retry': 'false' },
    });
  }

  static redisUnavailable(cause: unknown): LimitsException {
    return new LimitsException(
      LimitsErrorCode.ServiceUnavailable,
      503,
      'The gateway cannot meter calls right now; retry shortly.',
      {
        type: 'api_error',
        cause,
      },
    );
  }
}
