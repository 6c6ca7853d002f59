import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import Decimal from 'decimal.js';
import { rowPlaceholders } from '#src/core/database/sql-values';
import type { UsageJobData } from '#src/core/queue/queue.constants';
import { KeyMonthlySpendEntity } from '#src/modules/billing/key-monthly-spend.entity';

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

/** The daily rollup per key/model/provider and the monthly spend per key, changed only with a new usage row. */
@Injectable()
export class UsageAggregateRepository {
  constructor(@InjectRepository(KeyMonthlySpendEntity) private readonly monthly: Repository<KeyMonthlySpendEntity>) {}

  /**
   * Adds newly inserted usage rows to the daily rollups and the monthly spend: summed per rollup row first, so
   * each row is written once, and in a fixed order (rollups, then months, each sorted), so concurrent batches
   * never deadlock.
   */
  async addMany(events: UsageJobData[], manager: EntityManager): Promise<void> {
    if (events.length === 0) return;
    const daily = new Map<string, DailySum>();
    const monthly = new Map<string, { apiKeyId: string; month: string; cost: Decimal; requests: number }>();
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

      const mKey = `${u.apiKeyId}\u0000${u.month}`;
      const m = monthly.get(mKey) ?? {
        apiKeyId: u.apiKeyId,
        month: `${u.month}-01`,
        cost: new Decimal(0),
        requests: 0,
      };
      m.cost = m.cost.plus(u.costUsd);
      m.requests++;
      monthly.set(mKey, m);
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

    const monthParams: unknown[] = [];
    const monthRows = [...monthly.keys()].sort().map((k) => {
      const m = monthly.get(k)!;
      const at = monthParams.length;
      monthParams.push(m.apiKeyId, m.month, m.cost.toFixed(), m.requests);
      return rowPlaceholders(at, 4);
    });
    await manager.query(
      `INSERT INTO key_monthly_spend AS s (api_key_id, month, cost_usd, requests) VALUES ${monthRows.join(',')}
       ON CONFLICT (api_key_id, month) DO UPDATE SET cost_usd = s.cost_usd + EXCLUDED.cost_usd, requests = s.requests + EXCLUDED.requests`,
      monthParams,
    );
  }

  /** What a key spent in a month (`YYYY-MM`), USD decimal string. */
  async monthSpend(apiKeyId: string, month: string, manager?: EntityManager): Promise<string> {
    const repo = manager ? manager.getRepository(KeyMonthlySpendEntity) : this.monthly;
    const row = await repo.findOneBy({ apiKeyId, month: `${month}-01` });
    return row?.costUsd ?? '0';
  }
}
