import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';

export type OverviewBucket = 'hour' | 'day';

/** One time bucket of proxied calls. */
export interface OverviewPoint {
  /** The bucket's start, ISO-8601 UTC. */
  t: string;
  requests: number;
  /** Calls answered with a status of 400 or more (refusals included). */
  errors: number;
  cost_usd: string;
  /** Latency percentiles of the bucket's calls, milliseconds (null without calls). */
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
}

export interface OverviewTop {
  name: string | null;
  id?: string | null;
  requests: number;
  cost_usd: string;
}

export interface UsageOverview {
  from: string;
  to: string;
  bucket: OverviewBucket;
  series: OverviewPoint[];
  totals: Omit<OverviewPoint, 't'>;
  top_keys: OverviewTop[];
  top_models: OverviewTop[];
  /** Teams by cost (the team a call's key was in when it was made, SPEC §13). */
  top_teams: OverviewTop[];
}

/** Narrows the overview to some calls; none: every call. */
export interface OverviewFilter {
  /** Only this key's calls (the console's key page). */
  apiKeyId?: string;
}

const TOP = 5;
const money = (v: unknown): string => new Decimal((v as string | null) ?? '0').toFixed();
const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));

/**
 * What the console's overview charts (SPEC §15): calls, errors, cost and p50/p95 latency per hour or day over
 * `[from, to)`, and the top keys, models and teams by cost, from the per-call records (kept USAGE_RETENTION_DAYS); of
 * every call, or of one key's (its page in the console).
 */
@Injectable()
export class UsageOverviewRepository {
  constructor(private readonly dataSource: DataSource) {}

  async overview(from: Date, to: Date, bucket: OverviewBucket, filter: OverviewFilter = {}): Promise<UsageOverview> {
    const params: unknown[] = [from, to];
    const where = ['u.created_at >= $1', 'u.created_at < $2'];
    if (filter.apiKeyId) where.push(`u.api_key_id = $${params.push(filter.apiKeyId)}`);
    const whereSql = `WHERE ${where.join(' AND ')}`;
    const stats = `count(*) AS requests, count(*) FILTER (WHERE u.status >= 400) AS errors,
      COALESCE(sum(u.cost_usd), 0) AS cost_usd,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY u.latency_ms) AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY u.latency_ms) AS p95`;
    const [series, [totals], keys, models, teams] = await Promise.all([
      this.dataSource.query<Record<string, unknown>[]>(
        `SELECT to_char(date_trunc('${bucket}', u.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t, ${stats}
           FROM usage_records u ${whereSql} GROUP BY 1 ORDER BY 1`,
        params,
      ),
      this.dataSource.query<Record<string, unknown>[]>(`SELECT ${stats} FROM usage_records u ${whereSql}`, params),
      this.dataSource.query<Record<string, unknown>[]>(
        `SELECT u.api_key_id AS id, k.name AS name, count(*) AS requests, COALESCE(sum(u.cost_usd), 0) AS cost_usd
           FROM usage_records u LEFT JOIN api_keys k ON k.id = u.api_key_id
          ${whereSql} AND u.api_key_id IS NOT NULL
          GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC LIMIT ${TOP}`,
        params,
      ),
      this.dataSource.query<Record<string, unknown>[]>(
        `SELECT u.model_name AS name, count(*) AS requests, COALESCE(sum(u.cost_usd), 0) AS cost_usd
           FROM usage_records u ${whereSql} AND u.model_name IS NOT NULL
          GROUP BY 1 ORDER BY 3 DESC, 2 DESC LIMIT ${TOP}`,
        params,
      ),
      this.dataSource.query<Record<string, unknown>[]>(
        `SELECT u.team_id AS id, t.name AS name, count(*) AS requests, COALESCE(sum(u.cost_usd), 0) AS cost_usd
           FROM usage_records u LEFT JOIN teams t ON t.id = u.team_id
          ${whereSql} AND u.team_id IS NOT NULL
          GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC LIMIT ${TOP}`,
        params,
      ),
    ]);
    const point = (r: Record<string, unknown>): Omit<OverviewPoint, 't'> => ({
      requests: Number(r.requests),
      errors: Number(r.errors),
      cost_usd: money(r.cost_usd),
      p50_latency_ms: ms(r.p50),
      p95_latency_ms: ms(r.p95),
    });
    const top = (r: Record<string, unknown>): OverviewTop => ({
      ...(r.id !== undefined ? { id: (r.id as string | null) ?? null } : {}),
      name: (r.name as string | null) ?? null,
      requests: Number(r.requests),
      cost_usd: money(r.cost_usd),
    });
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      bucket,
      series: series.map((r) => ({ t: String(r.t), ...point(r) })),
      totals: point(totals),
      top_keys: keys.map(top),
      top_models: models.map(top),
      top_teams: teams.map(top),
    };
  }
}
