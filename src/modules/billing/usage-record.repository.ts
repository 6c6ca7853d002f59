import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, LessThan, Repository } from 'typeorm';
import { rowPlaceholders } from '#src/core/database/sql-values';
import type { UsageJobData } from '#src/core/queue/queue.constants';
import { UsageRecordEntity } from '#src/modules/billing/usage-record.entity';

/** Columns of one usage row in the insert below. */
const COLUMNS = 30;

@Injectable()
export class UsageRecordRepository {
  constructor(@InjectRepository(UsageRecordEntity) private readonly repo: Repository<UsageRecordEntity>) {}

  /**
   * Inserts the rows of these calls in one statement, skipping any call that already has one (unique call_id);
   * returns the call ids this statement inserted. Rows go in call id order, so two batches that share calls
   * always take their locks in the same order.
   */
  async insertManyIfAbsent(events: UsageJobData[], manager: EntityManager): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const sorted = [...events].sort((a, b) => (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0));
    const params: unknown[] = [];
    const rows = sorted.map((u) => {
      const at = params.length;
      params.push(
        u.callId,
        u.clientRequestId,
        u.apiKeyId,
        u.apiKeyName,
        u.teamId ?? null,
        u.endUser ?? null,
        u.modelId,
        u.modelName,
        u.alias,
        u.providerId,
        u.providerName,
        u.endpoint,
        u.promptTokens,
        u.completionTokens,
        u.cacheReadTokens,
        u.cacheWriteTokens,
        u.reasoningTokens,
        u.costUsd,
        u.estimated,
        u.unpriced,
        u.status,
        u.errorCode,
        u.stream,
        Math.round(u.latencyMs),
        u.ttftMs === null ? null : Math.round(u.ttftMs),
        Math.round(u.overheadMs),
        u.attempts ?? 1,
        u.cacheHit === true,
        u.savedUsd ?? '0',
        u.createdAt,
      );
      return rowPlaceholders(at, COLUMNS);
    });
    const inserted: { call_id: string }[] = await manager.query(
      `INSERT INTO usage_records (call_id, client_request_id, api_key_id, api_key_name, team_id, end_user, model_id, model_name, alias, provider_id, provider_name,
         endpoint, prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, estimated, unpriced,
         status, error_code, stream, latency_ms, ttft_ms, overhead_ms, attempts, cache_hit, saved_usd, created_at)
       VALUES ${rows.join(',')}
       ON CONFLICT (call_id) DO NOTHING RETURNING call_id`,
      params,
    );
    return new Set(inserted.map((r) => r.call_id));
  }

  /** Which of these call ids already have a row (for rebuilding a budget counter). */
  async existingCallIds(callIds: string[], manager?: EntityManager): Promise<string[]> {
    if (callIds.length === 0) return [];
    const repo = manager ? manager.getRepository(UsageRecordEntity) : this.repo;
    const rows = await repo.find({ where: { callId: In(callIds) }, select: { callId: true } });
    return rows.map((r) => r.callId);
  }

  findByCallId(callId: string): Promise<UsageRecordEntity | null> {
    return this.repo.findOneBy({ callId });
  }

  countForKey(apiKeyId: string): Promise<number> {
    return this.repo.countBy({ apiKeyId });
  }

  /** Retention: deletes records older than `before` (rollups are kept). */
  async deleteOlderThan(before: Date): Promise<number> {
    const result = await this.repo.delete({ createdAt: LessThan(before) });
    return result.affected ?? 0;
  }
}
