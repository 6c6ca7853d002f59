import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import Decimal from 'decimal.js';
import { AppConfig } from '#src/core/config/app-config';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { type ApiKeyRedisKeys, RedisKeys } from '#src/core/redis/redis-keys';
import { formatUsd, outputTokenNanos, worstCaseNanos } from '#src/modules/billing/cost-calculator';
import { type MonthCandidates, monthCandidates, utcMonth } from '#src/modules/billing/month';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import {
  type Admission,
  type AdmissionRequest,
  AdmissionService,
  type KeySpendView,
  type Settlement,
} from '#src/modules/calls/admission';
import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';
import { ADMIT_LUA, REFRESH_LUA, RELEASE_LUA, SETTLE_LUA, SPEND_VIEW_LUA } from '#src/modules/ratelimit/admission.lua';
import { BudgetRebuilder, UNBILLED_TTL_MS } from '#src/modules/ratelimit/budget-rebuilder.service';
import { LimitsException } from '#src/modules/ratelimit/limits.exception';
import { requestHeaders, tokenHeaders } from '#src/modules/ratelimit/rate-limit-headers';

type AdmitReply = [string, number, number, number, number, number, number, number, number];
interface LimitCommands {
  llmgwAdmit(...args: (string | number)[]): Promise<AdmitReply>;
  llmgwRelease(...args: (string | number)[]): Promise<number>;
  llmgwSettle(...args: (string | number)[]): Promise<number>;
  llmgwRefresh(...args: (string | number)[]): Promise<number>;
  llmgwSpendView(...args: (string | number)[]): Promise<[string | null, string]>;
}

/** Not metered in Redis: nothing to settle, and the month is this process's (the billing processor settles it). */
const NO_LIMITS: Admission = {
  outputLimit: null,
  loweredOutputLimit: null,
  headers: {},
  month: null,
  admittedAt: null,
  settle: () => Promise.resolve(false),
  refresh: () => Promise.resolve(),
  release: () => Promise.resolve(),
};

const usd = (nanos: number): string => formatUsd(new Decimal(nanos).div(1e9));

/**
 * Admission against a key's `rate_limit`, `tokens_per_minute` and `monthly_budget` in one Redis round trip
 * (SPEC §7). Keys without limits never touch Redis. When Redis is unreachable, REDIS_FAILURE_MODE decides:
 * `closed` refuses with 503, `open` lets the call through unmetered (counted).
 */
@Injectable()
export class RedisAdmissionService extends AdmissionService implements OnModuleInit {
  private readonly logger = new Logger(RedisAdmissionService.name);
  private readonly cmd: LimitCommands;

  constructor(
    private readonly config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly rebuilder: BudgetRebuilder,
    private readonly aggregates: UsageAggregateRepository,
  ) {
    super();
    this.cmd = redis as unknown as LimitCommands;
  }

  onModuleInit(): void {
    this.redis.defineCommand('llmgwAdmit', { numberOfKeys: 10, lua: ADMIT_LUA });
    this.redis.defineCommand('llmgwRelease', { numberOfKeys: 7, lua: RELEASE_LUA });
    this.redis.defineCommand('llmgwSettle', { numberOfKeys: 6, lua: SETTLE_LUA });
    this.redis.defineCommand('llmgwRefresh', { numberOfKeys: 3, lua: REFRESH_LUA });
    this.redis.defineCommand('llmgwSpendView', { numberOfKeys: 4, lua: SPEND_VIEW_LUA });
  }

  async admit(req: AdmissionRequest): Promise<Admission> {
    const key = req.key;
    if (key.rateLimit === null && key.tokensPerMinute === null && key.monthlyBudget === null) return NO_LIMITS;
    const k = this.keys.apiKey(key.id);
    const budget = this.budgetArgs(req);
    let admitted: { reply: AdmitReply; month: string };
    const months = monthCandidates(Date.now());
    try {
      admitted = await this.callAdmit(req, k, months, budget);
    } catch (err) {
      if (err instanceof LimitsException) throw err;
      this.releaseAfterTimeout(err, req, k, months);
      return this.redisDown(err, req);
    }
    return this.admitted(req, k, admitted.month, admitted.reply, budget.wanted);
  }

  private async callAdmit(
    req: AdmissionRequest,
    k: ApiKeyRedisKeys,
    months: MonthCandidates,
    b: ReturnType<RedisAdmissionService['budgetArgs']>,
  ): Promise<{ reply: AdmitReply; month: string }> {
    const key = req.key;
    for (let attempt = 0; attempt < 3; attempt++) {
      const reply = await this.cmd.llmgwAdmit(
        k.requests,
        k.tokens,
        ...this.monthKeys(k, months.a),
        ...this.monthKeys(k, months.b),
        req.callId,
        key.rateLimit ?? -1,
        key.tokensPerMinute ?? -1,
        b.budgetNanos,
        b.promptNanos,
        b.perToken,
        b.wanted,
        this.config.env.BUDGET_MIN_OUTPUT_TOKENS,
        this.config.env.BUDGET_NEAR_LIMIT === 'shorten' ? 1 : 0,
        this.config.budgetReservationTtlMs,
        months.startA,
        months.startB,
        months.endB,
      );
      const month = reply[7] === 1 ? months.b : months.a;
      if (reply[0] === 'clock') {
        // this process's clock is more than a day off Redis's: ask again around Redis time
        months = monthCandidates(reply[8]);
        continue;
      }
      if (reply[0] !== 'rebuild') return { reply: this.refusedOrOk(req, reply, b), month };
      await this.rebuilder.rebuild(key.id, month);
    }
    throw LimitsException.redisUnavailable(new Error('budget counter could not be rebuilt'));
  }

  private monthKeys(k: ApiKeyRedisKeys, month: string): string[] {
    return [k.spend(month), k.reservations(month), k.reservationExpiry(month), k.reservedTotal(month)];
  }

  /**
   * When the admission timed out on this side, Redis may still run it: give back its request slot and
   * reservation by call id (best effort, on the same connection so it runs after the admission), so a key
   * near its budget or rate limit gets no false refusals until the reservation's TTL.
   */
  private releaseAfterTimeout(err: unknown, req: AdmissionRequest, k: ApiKeyRedisKeys, months: MonthCandidates): void {
    if (!(err instanceof Error) || !/timed? ?out/i.test(err.message)) return;
    const monthKeys = (m: string): string[] => [k.reservations(m), k.reservationExpiry(m), k.reservedTotal(m)];
    this.cmd
      .llmgwRelease(k.requests, ...monthKeys(months.a), ...monthKeys(months.b), req.callId)
      .catch((e: unknown) =>
        this.logger.warn(
          { err: { message: (e as Error).message }, callId: req.callId },
          'releasing a timed-out admission failed; its reservation lapses after BUDGET_RESERVATION_TTL',
        ),
      );
  }

  /**
   * Worst-case inputs of the budget check; computed only for keys with a budget (tokenizing costs CPU). A routed
   * call reserves for the dearest of its possible models: the highest prompt cost and output price among them.
   */
  private budgetArgs(req: AdmissionRequest): {
    budgetNanos: number;
    promptNanos: number;
    perToken: string;
    wanted: number;
  } {
    const { key } = req;
    const candidates = [
      { model: req.model, promptTokenUpperBound: req.promptTokenUpperBound },
      ...(req.alternatives ?? []),
    ];
    const defaultOutput = (m: AdmissionRequest['model']): number =>
      m.maxOutputTokens ?? this.config.env.BUDGET_DEFAULT_OUTPUT_TOKENS;
    const wanted =
      req.endpoint === 'embeddings'
        ? 0
        : (req.requestedOutputTokens ?? Math.max(...candidates.map((c) => defaultOutput(c.model))));
    if (key.monthlyBudget === null) return { budgetNanos: -1, promptNanos: 0, perToken: '0', wanted };
    let promptNanos = 0;
    let perToken = new Decimal(0);
    for (const c of candidates) {
      const promptTokens = c.promptTokenUpperBound();
      promptNanos = Math.max(promptNanos, worstCaseNanos(c.model.pricing, promptTokens, 0, req.serviceTier));
      perToken = Decimal.max(perToken, outputTokenNanos(c.model.pricing, promptTokens, req.serviceTier));
    }
    return {
      budgetNanos: new Decimal(key.monthlyBudget).mul(1e9).floor().toNumber(),
      promptNanos,
      // with `n` choices every output token of the limit can be generated n times
      perToken: perToken.mul(req.choices ?? 1).toFixed(),
      wanted,
    };
  }

  private refusedOrOk(
    req: AdmissionRequest,
    reply: AdmitReply,
    b: ReturnType<RedisAdmissionService['budgetArgs']>,
  ): AdmitReply {
    const [status, a, worst] = reply;
    const key = req.key;
    if (status === 'rate') {
      throw LimitsException.rateLimited(
        `Rate limit of ${key.rateLimit} requests per minute reached for this API key.`,
        a,
        requestHeaders(key.rateLimit!, 0, reply[4]),
      );
    }
    if (status === 'tokens') {
      throw LimitsException.rateLimited(
        `Token limit of ${key.tokensPerMinute} tokens per minute reached for this API key.`,
        a,
        tokenHeaders(key.tokensPerMinute!, reply[5], reply[6]),
      );
    }
    if (status === 'budget') {
      const left = Math.max(0, a);
      throw LimitsException.budgetExceeded(
        `Monthly budget of $${key.monthlyBudget} for this API key is used up: $${usd(left)} left, and this call needs up to $${usd(worst)}` +
          (b.wanted > 0 ? ` (prompt plus ${this.config.env.BUDGET_MIN_OUTPUT_TOKENS} output tokens at least).` : '.'),
      );
    }
    return reply;
  }

  private admitted(
    req: AdmissionRequest,
    k: ApiKeyRedisKeys,
    month: string,
    reply: AdmitReply,
    wanted: number,
  ): Admission {
    const key = req.key;
    const [, outputLimit, lowered, remaining, resetMs, used, tokenResetMs, , now] = reply;
    const headers: Record<string, string> = {};
    if (key.rateLimit !== null) Object.assign(headers, requestHeaders(key.rateLimit, remaining, resetMs));
    if (key.tokensPerMinute !== null) Object.assign(headers, tokenHeaders(key.tokensPerMinute, used, tokenResetMs));
    const hasBudget = key.monthlyBudget !== null;
    // every surface but embeddings sends a chat body upstream, where the output limit goes
    const sendLimit = hasBudget && req.endpoint !== 'embeddings' ? outputLimit : null;
    const ttl = this.config.budgetReservationTtlMs;
    return {
      outputLimit: sendLimit,
      loweredOutputLimit: lowered === 1 && outputLimit < wanted ? outputLimit : null,
      headers,
      month,
      admittedAt: new Date(now),
      settle: (s) => this.settle(req, k, month, s),
      release: () => this.release(req, k, month),
      refresh: async () => {
        if (hasBudget)
          await this.cmd.llmgwRefresh(
            k.reservationExpiry(month),
            k.reservations(month),
            k.reservedTotal(month),
            req.callId,
            ttl,
          );
      },
    };
  }

  /** Gives back the call's request slot and reservation (the month's keys twice: the script takes two months). */
  private async release(req: AdmissionRequest, k: ApiKeyRedisKeys, month: string): Promise<void> {
    const monthKeys = [k.reservations(month), k.reservationExpiry(month), k.reservedTotal(month)];
    await this.cmd.llmgwRelease(k.requests, ...monthKeys, ...monthKeys, req.callId).then(
      () => undefined,
      (err: unknown) =>
        this.logger.warn(
          { err: { message: (err as Error).message }, callId: req.callId },
          'releasing a refused admission failed; its reservation lapses after BUDGET_RESERVATION_TTL',
        ),
    );
  }

  /** True when the call's cost went into the month counter (else the billing processor adds it). */
  private async settle(req: AdmissionRequest, k: ApiKeyRedisKeys, month: string, s: Settlement): Promise<boolean> {
    const trackSpend = req.key.monthlyBudget !== null;
    const chargeTokens = req.key.tokensPerMinute !== null;
    if (!trackSpend && !chargeTokens) return false;
    const applied = await this.cmd.llmgwSettle(
      k.reservations(month),
      k.reservationExpiry(month),
      k.reservedTotal(month),
      k.spend(month),
      k.unbilled(month),
      k.tokens,
      req.callId,
      s.costNanos,
      s.totalTokens,
      trackSpend ? 1 : 0,
      chargeTokens ? 1 : 0,
      UNBILLED_TTL_MS,
    );
    return applied === 1;
  }

  private redisDown(err: unknown, req: AdmissionRequest): Admission {
    if (this.config.env.REDIS_FAILURE_MODE === 'closed') throw LimitsException.redisUnavailable(err);
    metrics.unmeteredCalls.inc();
    this.logger.warn(
      { err: { message: (err as Error).message }, apiKeyId: req.key.id },
      'redis unreachable: call admitted unmetered',
    );
    return NO_LIMITS;
  }

  async spendOf(key: AuthenticatedKey): Promise<KeySpendView | null> {
    const month = utcMonth(new Date());
    const k = this.keys.apiKey(key.id);
    let spentNanos: number | null = null;
    let reservedNanos = 0;
    try {
      const view = (): Promise<[string | null, string]> =>
        this.cmd.llmgwSpendView(
          k.reservations(month),
          k.reservationExpiry(month),
          k.reservedTotal(month),
          k.spend(month),
        );
      let [counter, reserved] = await view();
      if (counter === null && key.monthlyBudget !== null) {
        // no counter yet (a Redis restart, a budget just changed): build it, so the figure includes settled
        // calls the billing processor has not written yet
        await this.rebuilder.rebuild(key.id, month);
        [counter, reserved] = await view();
      }
      if (counter !== null) spentNanos = Number(counter);
      reservedNanos = Number(reserved);
    } catch {
      // Redis down: PostgreSQL's figure, which may lag by the calls not yet billed
    }
    const spent =
      spentNanos !== null
        ? new Decimal(spentNanos).div(1e9)
        : new Decimal(await this.aggregates.monthSpend(key.id, month));
    const remaining =
      key.monthlyBudget === null
        ? null
        : Decimal.max(0, new Decimal(key.monthlyBudget).sub(spent).sub(new Decimal(reservedNanos).div(1e9)));
    return {
      month,
      spent_usd: formatUsd(spent),
      reserved_usd: usd(reservedNanos),
      remaining_usd: remaining === null ? null : formatUsd(remaining),
    };
  }
}
