import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import Decimal from 'decimal.js';
import { AppConfig } from '#src/core/config/app-config';
import { EncodedArgs, HotScript } from '#src/core/redis/encoded-script';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { type PeriodCandidates, parsePeriod, periodCandidates, periodId } from '#src/modules/billing/budget-period';
import { formatUsd, outputTokenNanos, worstCaseNanos } from '#src/modules/billing/cost-calculator';
import { FIXED_ZERO, fixedMax, fixedTimes, fixedToString } from '#src/modules/billing/fixed-point';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import {
  type Admission,
  type AdmissionRequest,
  AdmissionService,
  type CallPeriods,
  type KeySpendView,
  type Settlement,
} from '#src/modules/calls/admission';
import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';
import { ADMIT_LUA, REFRESH_LUA, RELEASE_LUA, SETTLE_LUA, SPEND_VIEW_LUA } from '#src/modules/ratelimit/admission.lua';
import { BudgetAlerts } from '#src/modules/ratelimit/budget-alerts';
import { BudgetRebuilder, UNBILLED_TTL_MS } from '#src/modules/ratelimit/budget-rebuilder.service';
import { type LimitSubject, hasLimits, limitSubjects, subjectLabel } from '#src/modules/ratelimit/limit-subjects';
import { LimitsClock } from '#src/modules/ratelimit/limits-clock';
import { LimitsException } from '#src/modules/ratelimit/limits.exception';
import { requestHeaders, tokenHeaders } from '#src/modules/ratelimit/rate-limit-headers';

/** {status, who, now, period choice ×2, a, b, then remaining, reset, used, token reset per subject}. */
type AdmitReply = [string, ...number[]];

interface LimitCommands {
  llmgwRelease(numKeys: number, ...args: (string | number)[]): Promise<number>;
  llmgwRefresh(numKeys: number, ...args: (string | number)[]): Promise<number>;
  llmgwSpendView(...args: (string | number)[]): Promise<[string | null, string]>;
}

interface BudgetArgs {
  promptNanos: number;
  perToken: string;
  wanted: number;
}

/** A subject of an admitted call, with the period Redis time put it in. */
interface Admitted {
  subject: LimitSubject;
  period: string;
}

const usd = (nanos: number): string => formatUsd(new Decimal(nanos).div(1e9));
/** Budgets in nano-dollars, parsed once per distinct amount (every admission and settle passes its subjects' budgets). */
const budgetNanos = new Map<string, number>();
const nanos = (usdAmount: string): number => {
  let n = budgetNanos.get(usdAmount);
  if (n === undefined) {
    n = new Decimal(usdAmount).mul(1e9).floor().toNumber();
    if (budgetNanos.size >= 10_000) budgetNanos.clear();
    budgetNanos.set(usdAmount, n);
  }
  return n;
};
const PERIOD_WORD = { day: 'Daily', week: 'Weekly', month: 'Monthly' } as const;

/** A subject's part of a script call: its keys, and its limits after the call's own arguments. */
interface SubjectArgs {
  keys: EncodedArgs;
  limits: EncodedArgs;
}

/** The two scripts every metered call runs, sent pre-encoded (encoded-script.ts). */
const ADMIT = new HotScript('llmgwAdmit', ADMIT_LUA);
const SETTLE = new HotScript('llmgwSettle', SETTLE_LUA);

/**
 * Script arguments per subject and period(s), built and encoded once: the subject object lives as long as its key
 * in the auth cache, and its key names and limits only change with the period, so every call reuses them
 * (building ten key names per call showed in the profile, and so did encoding them).
 */
const argCache = new WeakMap<LimitSubject, Map<string, SubjectArgs>>();

function cachedArgs(s: LimitSubject, id: string, build: () => SubjectArgs): SubjectArgs {
  let bySubject = argCache.get(s);
  if (!bySubject) {
    bySubject = new Map();
    argCache.set(s, bySubject);
  }
  let args = bySubject.get(id);
  if (!args) {
    if (bySubject.size >= 16) bySubject.clear();
    args = build();
    bySubject.set(id, args);
  }
  return args;
}

function reservationKeys(s: LimitSubject, period: string): string[] {
  const k = s.keys;
  return [k.reservations(period), k.reservationExpiry(period), k.reservedTotal(period)];
}

/** A period's spend counter and its reservation keys, in the order the admission script takes them. */
function periodKeys(s: LimitSubject, period: string): string[] {
  return [s.keys.spend(period), ...reservationKeys(s, period)];
}

/** The admission script's keys (10) and limits (6) of one subject, for its two candidate periods. */
function admitArgs(s: LimitSubject, c: PeriodCandidates): SubjectArgs {
  // the two periods fix their starts and the end
  return cachedArgs(s, `admit:${c.a}:${c.b}`, () => ({
    keys: new EncodedArgs([s.keys.requests, s.keys.tokens, ...periodKeys(s, c.a), ...periodKeys(s, c.b)]),
    limits: new EncodedArgs([
      s.rateLimit ?? -1,
      s.tokensPerMinute ?? -1,
      s.budget === null ? -1 : nanos(s.budget),
      c.startA,
      c.startB,
      c.endB,
    ]),
  }));
}

/** The settle script's keys (7) and limits (4) of one subject in the period its call was admitted in. */
function settleArgs(x: LimitSubject, period: string): SubjectArgs {
  return cachedArgs(x, `settle:${period}`, () => ({
    keys: new EncodedArgs([
      x.keys.reservations(period),
      x.keys.reservationExpiry(period),
      x.keys.reservedTotal(period),
      x.keys.spend(period),
      x.keys.unbilled(period),
      x.keys.tokens,
      x.keys.alerted(period),
    ]),
    limits: new EncodedArgs([
      x.budget !== null ? 1 : 0,
      x.tokensPerMinute !== null ? 1 : 0,
      x.budget === null ? -1 : nanos(x.budget),
      x.thresholds.join(','),
    ]),
  }));
}

/**
 * Admission against the rate limit, token limit and budget of a call's key and of its team, in one Redis round
 * trip (SPEC §7, §13). Calls with no limits on either never touch Redis. When Redis is unreachable,
 * REDIS_FAILURE_MODE decides: `closed` refuses with 503, `open` lets the call through unmetered (counted).
 */
@Injectable()
export class RedisAdmissionService extends AdmissionService implements OnModuleInit {
  private readonly logger = new Logger(RedisAdmissionService.name);
  private readonly cmd: LimitCommands;
  /** Subjects and periods this process saw refused for their budget (and so reported), bounded. */
  private readonly exhausted = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly rebuilder: BudgetRebuilder,
    private readonly aggregates: UsageAggregateRepository,
    private readonly clock: LimitsClock,
    private readonly alerts: BudgetAlerts,
  ) {
    super();
    this.cmd = redis as unknown as LimitCommands;
  }

  onModuleInit(): void {
    // subjects vary (the key, its team): the number of keys is passed with each call
    ADMIT.define(this.redis);
    this.redis.defineCommand('llmgwRelease', { lua: RELEASE_LUA });
    SETTLE.define(this.redis);
    this.redis.defineCommand('llmgwRefresh', { lua: REFRESH_LUA });
    this.redis.defineCommand('llmgwSpendView', { numberOfKeys: 4, lua: SPEND_VIEW_LUA });
  }

  /** The subjects whose limits the call is checked against: the key's and the team's, those that have any. */
  private metered(key: AuthenticatedKey): LimitSubject[] {
    const { key: k, team } = limitSubjects(key, this.keys);
    const out: LimitSubject[] = [];
    if (hasLimits(k)) out.push(k);
    if (team && hasLimits(team)) out.push(team);
    return out;
  }

  /** The periods of a call not metered in Redis, by this process's clock. */
  private localPeriods(key: AuthenticatedKey, at = this.clock.now()): CallPeriods {
    return key.team
      ? { key: periodId(key.budgetPeriod, at), team: periodId(key.team.budgetPeriod, at) }
      : { key: periodId(key.budgetPeriod, at) };
  }

  private unmetered(key: AuthenticatedKey): Admission {
    return {
      outputLimit: null,
      loweredOutputLimit: null,
      headers: {},
      periods: this.localPeriods(key),
      admittedAt: null,
      settle: () => Promise.resolve(false),
      refresh: () => Promise.resolve(),
      release: () => Promise.resolve(),
    };
  }

  async admit(req: AdmissionRequest): Promise<Admission> {
    const subjects = this.metered(req.key);
    if (subjects.length === 0) return this.unmetered(req.key);
    const budget = this.budgetArgs(req, subjects);
    let candidates = subjects.map((s) => periodCandidates(s.period, this.clock.now()));
    try {
      // a counter can vanish again while it is rebuilt (a flush, an expiry): a few rebuilds before giving up
      for (let attempt = 0; attempt < 5; attempt++) {
        const args = subjects.map((s, i) => admitArgs(s, candidates[i]));
        const reply = await ADMIT.call<AdmitReply>(this.redis, subjects.length * 10, [
          ...args.map((a) => a.keys),
          req.callId,
          budget.promptNanos,
          budget.perToken,
          budget.wanted,
          this.config.env.BUDGET_MIN_OUTPUT_TOKENS,
          this.config.env.BUDGET_NEAR_LIMIT === 'shorten' ? 1 : 0,
          this.config.budgetReservationTtlMs,
          this.clock.offsetMs,
          ...args.map((a) => a.limits),
        ]);
        const [status, who, now] = reply;
        const chosen = subjects.map((s, i) => (reply[3 + i] === 1 ? candidates[i].b : candidates[i].a));
        if (status === 'clock') {
          // this process's clock is far off Redis's: ask again around Redis time
          candidates = subjects.map((s) => periodCandidates(s.period, now));
          continue;
        }
        if (status === 'rebuild') {
          await this.rebuilder.rebuild(subjects[who - 1], chosen[who - 1]);
          continue;
        }
        if (status === 'budget') void this.budgetExhausted(subjects[who - 1], chosen[who - 1], reply[5]);
        if (status !== 'ok') this.refuse(reply, subjects[who - 1], budget);
        return this.admitted(
          req,
          subjects.map((subject, i) => ({ subject, period: chosen[i] })),
          reply,
          budget.wanted,
        );
      }
    } catch (err) {
      if (err instanceof LimitsException) throw err;
      this.releaseAfterTimeout(err, req, subjects, candidates);
      return this.redisDown(err, req);
    }
    throw LimitsException.redisUnavailable(new Error('budget counter could not be rebuilt'));
  }

  /**
   * When the admission timed out on this side, Redis may still run it: give back its request slots and
   * reservations by call id (best effort, on the same connection so it runs after the admission), so a key near
   * its budget or rate limit gets no false refusals until the reservation's TTL.
   */
  private releaseAfterTimeout(
    err: unknown,
    req: AdmissionRequest,
    subjects: LimitSubject[],
    candidates: PeriodCandidates[],
  ): void {
    if (!(err instanceof Error) || !/timed? ?out/i.test(err.message)) return;
    this.cmd
      .llmgwRelease(
        subjects.length * 7,
        ...subjects.flatMap((s, i) => [
          s.keys.requests,
          ...reservationKeys(s, candidates[i].a),
          ...reservationKeys(s, candidates[i].b),
        ]),
        req.callId,
      )
      .catch((e: unknown) =>
        this.logger.warn(
          { err: { message: (e as Error).message }, callId: req.callId },
          'releasing a timed-out admission failed; its reservation lapses after BUDGET_RESERVATION_TTL',
        ),
      );
  }

  /**
   * Worst-case inputs of the budget check; computed only when a subject has a budget (tokenizing costs CPU). A
   * routed call reserves for the dearest of its possible models: the highest prompt cost and output price among them.
   */
  private budgetArgs(req: AdmissionRequest, subjects: LimitSubject[]): BudgetArgs {
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
    if (!subjects.some((s) => s.budget !== null)) return { promptNanos: 0, perToken: '0', wanted };
    let promptNanos = 0;
    let perToken = FIXED_ZERO;
    for (const c of candidates) {
      const promptTokens = c.promptTokenUpperBound();
      promptNanos = Math.max(promptNanos, worstCaseNanos(c.model.pricing, promptTokens, 0, req.serviceTier));
      perToken = fixedMax(perToken, outputTokenNanos(c.model.pricing, promptTokens, req.serviceTier));
    }
    // with `n` choices every output token of the limit can be generated n times
    return { promptNanos, perToken: fixedToString(fixedTimes(perToken, req.choices ?? 1)), wanted };
  }

  /**
   * A call refused for a subject's budget reaches its 1.0 threshold (`budget.exceeded`): once per period across all
   * pods (the same HSETNX field a settle sets when the spend reaches the budget), and once per process without a
   * round trip after that, so a flood of refused calls costs nothing more.
   */
  private async budgetExhausted(s: LimitSubject, period: string, leftNanos: number): Promise<void> {
    if (s.budget === null || !s.thresholds.includes(1)) return;
    const id = `${s.type}:${s.id}:${period}`;
    if (this.exhausted.has(id)) return;
    if (this.exhausted.size >= 10_000) this.exhausted.clear();
    this.exhausted.add(id);
    const budgetNanos = nanos(s.budget);
    const spent = budgetNanos - Math.max(0, leftNanos);
    try {
      if ((await this.redis.hsetnx(s.keys.alerted(period), '1', spent)) === 1) {
        await this.redis.pexpire(s.keys.alerted(period), UNBILLED_TTL_MS);
        this.alerts.crossed({
          subject: { type: s.type, id: s.id, name: s.name },
          threshold: 1,
          budgetNanos,
          spentNanos: spent,
          period,
        });
      }
    } catch (err) {
      this.exhausted.delete(id);
      this.logger.warn({ err: { message: (err as Error).message } }, 'could not record the budget as exhausted');
    }
  }

  /** Throws the refusal of `reply`, naming the subject (key or team) whose limit refused. */
  private refuse(reply: AdmitReply, s: LimitSubject, b: BudgetArgs): never {
    const [status, who, , , , a, worst] = reply;
    const o = 7 + 4 * (who - 1);
    const n = reply as unknown as number[];
    if (status === 'rate') {
      throw LimitsException.rateLimited(
        `Rate limit of ${s.rateLimit} requests per minute reached for ${subjectLabel(s)}.`,
        a,
        requestHeaders(s.rateLimit!, 0, n[o + 1]),
      );
    }
    if (status === 'tokens') {
      throw LimitsException.rateLimited(
        `Token limit of ${s.tokensPerMinute} tokens per minute reached for ${subjectLabel(s)}.`,
        a,
        tokenHeaders(s.tokensPerMinute!, n[o + 2], n[o + 3]),
      );
    }
    const left = Math.max(0, a);
    throw LimitsException.budgetExceeded(
      `${PERIOD_WORD[s.period]} budget of $${s.budget} for ${subjectLabel(s)} is used up: $${usd(left)} left, and this call needs up to $${usd(worst)}` +
        (b.wanted > 0 ? ` (prompt plus ${this.config.env.BUDGET_MIN_OUTPUT_TOKENS} output tokens at least).` : '.'),
    );
  }

  private admitted(req: AdmissionRequest, subjects: Admitted[], reply: AdmitReply, wanted: number): Admission {
    const [, , now, , , outputLimit, lowered] = reply;
    // the key's own limits in x-ratelimit-*; a team's where the key has none of its own
    const headers: Record<string, string> = {};
    const n = reply as unknown as number[];
    subjects.forEach(({ subject: s }, i) => {
      const o = 7 + 4 * i;
      if (s.rateLimit !== null && !headers['x-ratelimit-limit-requests'])
        Object.assign(headers, requestHeaders(s.rateLimit, n[o], n[o + 1]));
      if (s.tokensPerMinute !== null && !headers['x-ratelimit-limit-tokens'])
        Object.assign(headers, tokenHeaders(s.tokensPerMinute, n[o + 2], n[o + 3]));
    });
    const hasBudget = subjects.some((a) => a.subject.budget !== null);
    // every surface but embeddings sends a chat body upstream, where the output limit goes
    const sendLimit = hasBudget && req.endpoint !== 'embeddings' ? outputLimit : null;
    const ttl = this.config.budgetReservationTtlMs;
    const periods = this.localPeriods(req.key, now);
    for (const a of subjects) periods[a.subject.type] = a.period;
    const budgeted = subjects.filter((a) => a.subject.budget !== null);
    return {
      outputLimit: sendLimit,
      loweredOutputLimit: lowered === 1 && outputLimit < wanted ? outputLimit : null,
      headers,
      periods,
      admittedAt: new Date(now),
      settle: (s) => this.settle(req, subjects, s),
      release: () => this.release(req, subjects),
      refresh: async () => {
        if (budgeted.length > 0)
          await this.cmd.llmgwRefresh(
            budgeted.length * 3,
            ...budgeted.flatMap(({ subject: s, period }) => [
              s.keys.reservationExpiry(period),
              s.keys.reservations(period),
              s.keys.reservedTotal(period),
            ]),
            req.callId,
            ttl,
            this.clock.offsetMs,
          );
      },
    };
  }

  /** Gives back the call's request slots and reservations (each period's keys twice: the script takes two). */
  private async release(req: AdmissionRequest, subjects: Admitted[]): Promise<void> {
    await this.cmd
      .llmgwRelease(
        subjects.length * 7,
        ...subjects.flatMap(({ subject: s, period }) => [
          s.keys.requests,
          ...reservationKeys(s, period),
          ...reservationKeys(s, period),
        ]),
        req.callId,
      )
      .then(
        () => undefined,
        (err: unknown) =>
          this.logger.warn(
            { err: { message: (err as Error).message }, callId: req.callId },
            'releasing a refused admission failed; its reservation lapses after BUDGET_RESERVATION_TTL',
          ),
      );
  }

  /**
   * True when the call's cost went into every budget counter of the call (else the billing processor adds it
   * where it did not). Thresholds the settle found reached for the first time go to the alerts.
   */
  private async settle(req: AdmissionRequest, subjects: Admitted[], s: Settlement): Promise<boolean> {
    const active = subjects.filter((a) => a.subject.budget !== null || a.subject.tokensPerMinute !== null);
    if (active.length === 0) return false;
    const args = active.map(({ subject, period }) => settleArgs(subject, period));
    const reply = await SETTLE.call<(number | string)[]>(this.redis, active.length * 7, [
      ...args.map((a) => a.keys),
      req.callId,
      s.costNanos,
      s.totalTokens,
      UNBILLED_TTL_MS,
      this.clock.offsetMs,
      ...args.map((a) => a.limits),
    ]);
    let applied = true;
    active.forEach(({ subject: x, period }, i) => {
      if (x.budget === null) return;
      if (Number(reply[3 * i]) !== 1) applied = false;
      const crossed = String(reply[3 * i + 2]);
      if (crossed === '') return;
      for (const threshold of crossed.split(','))
        this.alerts.crossed({
          subject: { type: x.type, id: x.id, name: x.name },
          threshold: Number(threshold),
          budgetNanos: nanos(x.budget),
          spentNanos: Number(reply[3 * i + 1]),
          period,
        });
    });
    // a key with no budget of its own and no team budget: billing adds nothing anywhere, as before
    return applied && active.some((a) => a.subject.budget !== null);
  }

  private redisDown(err: unknown, req: AdmissionRequest): Admission {
    if (this.config.env.REDIS_FAILURE_MODE === 'closed') throw LimitsException.redisUnavailable(err);
    metrics.unmeteredCalls.inc();
    this.logger.warn(
      { err: { message: (err as Error).message }, apiKeyId: req.key.id },
      'redis unreachable: call admitted unmetered',
    );
    return this.unmetered(req.key);
  }

  async spendOf(key: AuthenticatedKey): Promise<{ key: KeySpendView; team: KeySpendView | null }> {
    const { key: k, team } = limitSubjects(key, this.keys);
    return { key: await this.spendView(k), team: team ? await this.spendView(team) : null };
  }

  private async spendView(s: LimitSubject): Promise<KeySpendView> {
    const period = periodId(s.period, this.clock.now());
    let spentNanos: number | null = null;
    let reservedNanos = 0;
    try {
      const view = (): Promise<[string | null, string]> =>
        this.cmd.llmgwSpendView(
          s.keys.reservations(period),
          s.keys.reservationExpiry(period),
          s.keys.reservedTotal(period),
          s.keys.spend(period),
          this.clock.offsetMs,
        );
      let [counter, reserved] = await view();
      if (counter === null && s.budget !== null) {
        // no counter yet (a Redis restart, a budget just changed): build it, so the figure includes settled
        // calls the billing processor has not written yet
        await this.rebuilder.rebuild(s, period);
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
        : new Decimal(await this.aggregates.periodSpend(s.type, s.id, period));
    const remaining =
      s.budget === null
        ? null
        : Decimal.max(0, new Decimal(s.budget).sub(spent).sub(new Decimal(reservedNanos).div(1e9)));
    const { kind, start } = parsePeriod(period);
    return {
      ...(kind === 'month' ? { month: start.toISOString().slice(0, 7) } : {}),
      period: { kind, start: start.toISOString() },
      spent_usd: formatUsd(spent),
      reserved_usd: usd(reservedNanos),
      remaining_usd: remaining === null ? null : formatUsd(remaining),
    };
  }
}
