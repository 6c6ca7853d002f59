import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import Decimal from 'decimal.js';
import { rowPlaceholders } from '#src/core/database/sql-values';
import type { UsageJobData } from '#src/core/queue/queue.constants';
import { PERIOD_KINDS, periodId } from '#src/modules/billing/budget-period';
import { BudgetSpendEntity } from '#src/modules/billing/budget-spend.entity';

interface DailySum {
  /** day, api key id, model name, provider name */
  values: string[];
  requests: number;
  /** prompt, completion, cache read, cache write, reasoning */
  tokens: number[];
  cost: Decimal;
  estimated: number;
  unpriced: number;
  cacheHits: number;
  saved: Decimal;
}

/**
 * The daily rollup per key/model/provider and the spend per budget period of each key and team (SPEC §13), changed
 * only with a new usage row.
 */
@Injectable()
export class UsageAggregateRepository {
  constructor(@InjectRepository(BudgetSpendEntity) private readonly spend: Repository<BudgetSpendEntity>) {}

  /**
   * Adds newly inserted usage rows to the daily rollups and to the day, week and month spend of their key and team
   * (by the admission instant, so a call counts in the period Redis put it in): summed per row first, so each row is
   * written once, and in a fixed order (rollups, then periods, each sorted), so concurrent batches never deadlock.
   */
  async addMany(events: UsageJobData[], manager: EntityManager): Promise<void> {
    if (events.length === 0) return;
    const daily = new Map<string, DailySum>();
    const periods = new Map<string, { values: string[]; cost: Decimal; requests: number }>();
    for (const u of events) {
      const day = u.createdAt.slice(0, 10);
      const dKey = [day, u.apiKeyId, u.modelName ?? '', u.providerName ?? ''].join('\u0000');
      let d = daily.get(dKey);
      if (!d) {
        d = {
          values: [day, u.apiKeyId, u.modelName ?? '', u.providerName ?? ''],
          requests: 0,
          tokens: [0, 0, 0, 0, 0],
          cost: new Decimal(0),
          estimated: 0,
          unpriced: 0,
          cacheHits: 0,
          saved: new Decimal(0),
        };
        daily.set(dKey, d);
      }
      d.requests++;
      d.tokens[0] += u.promptTokens;
      d.tokens[1] += u.completionTokens;
      d.tokens[2] += u.cacheReadTokens;
      d.tokens[3] += u.cacheWriteTokens;
      d.tokens[4] += u.reasoningTokens;
      d.cost = d.cost.plus(u.costUsd);
      if (u.estimated) d.estimated++;
      if (u.unpriced) d.unpriced++;
      if (u.cacheHit) d.cacheHits++;
      if (u.savedUsd) d.saved = d.saved.plus(u.savedUsd);

      const at = Date.parse(u.createdAt);
      const subjects: [string, string][] = [['key', u.apiKeyId]];
      if (u.teamId) subjects.push(['team', u.teamId]);
      for (const [type, id] of subjects)
        for (const kind of PERIOD_KINDS) {
          const period = periodId(kind, at);
          const pKey = [type, id, period].join('\u0000');
          const p = periods.get(pKey) ?? { values: [type, id, period], cost: new Decimal(0), requests: 0 };
          p.cost = p.cost.plus(u.costUsd);
          p.requests++;
          periods.set(pKey, p);
        }
    }

    const dailyParams: unknown[] = [];
    const dailyRows = [...daily.keys()].sort().map((k) => {
      const d = daily.get(k)!;
      const at = dailyParams.length;
      dailyParams.push(
        ...d.values,
        d.requests,
        ...d.tokens,
        d.cost.toFixed(),
        d.estimated,
        d.unpriced,
        d.cacheHits,
        d.saved.toFixed(),
      );
      return rowPlaceholders(at, 15);
    });
    await manager.query(
      `INSERT INTO usage_daily AS d (day, api_key_id, model_name, provider_name, requests, prompt_tokens, completion_tokens, cache_read_tokens,
         cache_write_tokens, reasoning_tokens, cost_usd, estimated_requests, unpriced_requests, cache_hits, saved_usd)
       VALUES ${dailyRows.join(',')}
       ON CONFLICT (day, api_key_id, model_name, provider_name) DO UPDATE SET
         requests = d.requests + EXCLUDED.requests, prompt_tokens = d.prompt_tokens + EXCLUDED.prompt_tokens,
         completion_tokens = d.completion_tokens + EXCLUDED.completion_tokens, cache_read_tokens = d.cache_read_tokens + EXCLUDED.cache_read_tokens,
         cache_write_tokens = d.cache_write_tokens + EXCLUDED.cache_write_tokens, reasoning_tokens = d.reasoning_tokens + EXCLUDED.reasoning_tokens,
         cost_usd = d.cost_usd + EXCLUDED.cost_usd, estimated_requests = d.estimated_requests + EXCLUDED.estimated_requests,
         unpriced_requests = d.unpriced_requests + EXCLUDED.unpriced_requests,
         cache_hits = d.cache_hits + EXCLUDED.cache_hits, saved_usd = d.saved_usd + EXCLUDED.saved_usd`,
      dailyParams,
    );

    const periodParams: unknown[] = [];
    const periodRows = [...periods.keys()].sort().map((k) => {
      const p = periods.get(k)!;
      const at = periodParams.length;
      periodParams.push(...p.values, p.cost.toFixed(), p.requests);
      return rowPlaceholders(at, 5);
    });
    await manager.query(
      `INSERT INTO budget_spend AS s (subject_type, subject_id, period, cost_usd, requests) VALUES ${periodRows.join(',')}
       ON CONFLICT (subject_type, subject_id, period) DO UPDATE SET cost_usd = s.cost_usd + EXCLUDED.cost_usd, requests = s.requests + EXCLUDED.requests`,
      periodParams,
    );
  }

  /** What a key or team spent in a budget period (budget-period.ts id), USD decimal string. */
  async periodSpend(
    subjectType: 'key' | 'team',
    subjectId: string,
    period: string,
    manager?: EntityManager,
  ): Promise<string> {
    const repo = manager ? manager.getRepository(BudgetSpendEntity) : this.spend;
    const row = await repo.findOneBy({ subjectType, subjectId, period });
    return row?.costUsd ?? '0';
  }
}
