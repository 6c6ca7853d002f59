import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { UsageJobData } from '#src/core/queue/queue.constants';
import { KeyMonthlySpendEntity } from '#src/modules/billing/key-monthly-spend.entity';

/** The daily rollup per key/model/provider and the monthly spend per key, changed only with a new usage row. */
@Injectable()
export class UsageAggregateRepository {
  constructor(@InjectRepository(KeyMonthlySpendEntity) private readonly monthly: Repository<KeyMonthlySpendEntity>) {}

  async add(u: UsageJobData, manager: EntityManager): Promise<void> {
    const day = u.createdAt.slice(0, 10);
    await manager.query(
      `INSERT INTO usage_daily AS d (day, api_key_id, model_name, provider_name, requests, prompt_tokens, completion_tokens, cache_read_tokens,
         cache_write_tokens, reasoning_tokens, cost_usd, estimated_requests, unpriced_requests)
       VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (day, api_key_id, model_name, provider_name) DO UPDATE SET
         requests = d.requests + 1, prompt_tokens = d.prompt_tokens + EXCLUDED.prompt_tokens,
         completion_tokens = d.completion_tokens + EXCLUDED.completion_tokens, cache_read_tokens = d.cache_read_tokens + EXCLUDED.cache_read_tokens,
         cache_write_tokens = d.cache_write_tokens + EXCLUDED.cache_write_tokens, reasoning_tokens = d.reasoning_tokens + EXCLUDED.reasoning_tokens,
         cost_usd = d.cost_usd + EXCLUDED.cost_usd, estimated_requests = d.estimated_requests + EXCLUDED.estimated_requests,
         unpriced_requests = d.unpriced_requests + EXCLUDED.unpriced_requests`,
      [
        day,
        u.apiKeyId,
        u.modelName ?? '',
        u.providerName ?? '',
        u.promptTokens,
        u.completionTokens,
        u.cacheReadTokens,
        u.cacheWriteTokens,
        u.reasoningTokens,
        u.costUsd,
        u.estimated ? 1 : 0,
        u.unpriced ? 1 : 0,
      ],
    );
    await manager.query(
      `INSERT INTO key_monthly_spend AS s (api_key_id, month, cost_usd, requests) VALUES ($1, $2, $3, 1)
       ON CONFLICT (api_key_id, month) DO UPDATE SET cost_usd = s.cost_usd + EXCLUDED.cost_usd, requests = s.requests + 1`,
      [u.apiKeyId, `${u.month}-01`, u.costUsd],
    );
  }

  /** What a key spent in a month (`YYYY-MM`), USD decimal string. */
  async monthSpend(apiKeyId: string, month: string, manager?: EntityManager): Promise<string> {
    const repo = manager ? manager.getRepository(KeyMonthlySpendEntity) : this.monthly;
    const row = await repo.findOneBy({ apiKeyId, month: `${month}-01` });
    return row?.costUsd ?? '0';
  }
}
