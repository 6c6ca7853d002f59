import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';

export const USAGE_GROUPS = ['api_key', 'team', 'end_user', 'model', 'provider', 'day'] as const;
/** Groups (and filters) only the usage records hold: reports using them read the records, never the daily rollup. */
const RECORD_ONLY_GROUPS: readonly UsageGroup[] = ['team', 'end_user'];
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageFilter {
  /** Inclusive; none: from the first record. */
  from?: Date;
  /** Exclusive; none: up to now. */
  to?: Date;
  apiKeyId?: string;
  /** Calls made by the team's keys (SPEC §13). */
  teamId?: string;
  /** The model name the usage was recorded under. */
  model?: string;
}

export interface UsageCounters {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** USD, decimal string without exponent. */
  cost_usd: string;
  estimated_requests: number;
  unpriced_requests: number;
  /** Calls answered from the response cache (SPEC §14), and what they saved (USD). */
  cache_hits: number;
  saved_usd: string;
}

export interface UsageGroupKeys {
  api_key_id?: string | null;
  api_key_name?: string | null;
  team_id?: string | null;
  team_name?: string | null;
  end_user?: string | null;
  model?: string | null;
  provider?: string | null;
  day?: string;
}

export interface UsageReport {
  data: (UsageGroupKeys & UsageCounters)[];
  totals: UsageCounters;
}

interface Source {
  table: string;
  /** SQL of each group key, by its output column. */
  keys: Record<UsageGroup, [string, string][]>;
  /** SQL of each counter. */
  counters: Record<keyof UsageCounters, string>;
  where: (f: UsageFilter, params: unknown[]) => string[];
}

const sum = (col: string): string => `COALESCE(sum(${col}), 0)`;
const TOKEN_COLUMNS = [
  'prompt_tokens',
  'completion_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
];
/** The key's current name (keys are only soft-deleted, so the row stays). */
const API_KEY_NAME = 'k.name';
const WITH_KEY = 'LEFT JOIN api_keys k ON k.id = u.api_key_id';
const WITH_TEAM = 'LEFT JOIN teams t ON t.id = u.team_id';

/** Every call, exact to the instant. */
const RECORDS: Source = {
  table: `usage_records u ${WITH_KEY} ${WITH_TEAM}`,
  keys: {
    api_key: [
      ['api_key_id', 'u.api_key_id'],
      ['api_key_name', API_KEY_NAME],
    ],
    team: [
      ['team_id', 'u.team_id'],
      ['team_name', 't.name'],
    ],
    end_user: [['end_user', 'u.end_user']],
    model: [['model', 'u.model_name']],
    provider: [['provider', 'u.provider_name']],
    day: [['day', "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"]],
  },
  counters: {
    requests: 'count(*)',
    ...(Object.fromEntries(TOKEN_COLUMNS.map((c) => [c, sum(`u.${c}`)])) as Record<string, string>),
    cost_usd: sum('u.cost_usd'),
    estimated_requests: 'count(*) FILTER (WHERE u.estimated)',
    unpriced_requests: 'count(*) FILTER (WHERE u.unpriced)',
    cache_hits: 'count(*) FILTER (WHERE u.cache_hit)',
    saved_usd: sum('u.saved_usd'),
  } as Record<keyof UsageCounters, string>,
  where: (f, params) => {
    const w: string[] = [];
    if (f.from) w.push(`u.created_at >= $${params.push(f.from)}`);
    if (f.to) w.push(`u.created_at < $${params.push(f.to)}`);
    return w;
  },
};

/** The daily rollup (kept when records are pruned): usable when the range is whole UTC days. */
const DAILY: Source = {
  table: `usage_daily u ${WITH_KEY}`,
  keys: {
    ...RECORDS.keys,
    model: [['model', "NULLIF(u.model_name, '')"]],
    provider: [['provider', "NULLIF(u.provider_name, '')"]],
    day: [['day', "to_char(u.day, 'YYYY-MM-DD')"]],
  },
  counters: {
    requests: sum('u.requests'),
    ...(Object.fromEntries(TOKEN_COLUMNS.map((c) => [c, sum(`u.${c}`)])) as Record<string, string>),
    cost_usd: sum('u.cost_usd'),
    estimated_requests: sum('u.estimated_requests'),
    unpriced_requests: sum('u.unpriced_requests'),
    cache_hits: sum('u.cache_hits'),
    saved_usd: sum('u.saved_usd'),
  } as Record<keyof UsageCounters, string>,
  where: (f, params) => {
    const w: string[] = [];
    if (f.from) w.push(`u.day >= $${params.push(f.from.toISOString().slice(0, 10))}::date`);
    if (f.to) w.push(`u.day < $${params.push(f.to.toISOString().slice(0, 10))}::date`);
    return w;
  },
};

const isMidnight = (d: Date | undefined): boolean => !d || d.getTime() % 86_400_000 === 0;

/**
 * Usage reports (SPEC §4): SQL aggregation grouped as asked, totals from the same rows. Ranges of whole UTC days
 * read the daily rollup (same sums, survives USAGE_RETENTION_DAYS); any other range, and any report by team or end
 * user (SPEC §13: only the records hold them), reads the records.
 */
@Injectable()
export class UsageReportRepository {
  constructor(private readonly dataSource: DataSource) {}

  async report(filter: UsageFilter, groupBy: UsageGroup[]): Promise<UsageReport> {
    const recordsOnly = filter.teamId !== undefined || groupBy.some((g) => RECORD_ONLY_GROUPS.includes(g));
    const source = !recordsOnly && isMidnight(filter.from) && isMidnight(filter.to) ? DAILY : RECORDS;
    const params: unknown[] = [];
    const where = source.where(filter, params);
    if (filter.apiKeyId) where.push(`u.api_key_id = $${params.push(filter.apiKeyId)}`);
    if (filter.teamId) where.push(`u.team_id = $${params.push(filter.teamId)}`);
    if (filter.model) where.push(`u.model_name = $${params.push(filter.model)}`);
    const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const counters = Object.entries(source.counters).map(([name, sql]) => `${sql} AS ${name}`);
    const groups = USAGE_GROUPS.filter((g) => groupBy.includes(g));
    const keys = groups.flatMap((g) => source.keys[g]);
    const data: Record<string, unknown>[] =
      keys.length === 0
        ? [] // no grouping: the one group is the totals
        : await this.dataSource.query(
            `SELECT ${[...keys.map(([name, sql]) => `${sql} AS ${name}`), ...counters].join(', ')}
             FROM ${source.table} ${whereSql}
             GROUP BY ${keys.map((_, i) => i + 1).join(', ')}
             ORDER BY ${keys.map((_, i) => `${i + 1} ASC NULLS LAST`).join(', ')}`,
            params,
          );
    const [totals] = await this.dataSource.query<Record<string, unknown>[]>(
      `SELECT ${counters.join(', ')} FROM ${source.table} ${whereSql}`,
      params,
    );
    if (keys.length === 0) return { data: [toCounters(totals)], totals: toCounters(totals) };
    return {
      data: data.map((row) => ({
        ...Object.fromEntries(keys.map(([name]) => [name, row[name] ?? null])),
        ...toCounters(row),
      })),
      totals: toCounters(totals),
    };
  }
}

function toCounters(row: Record<string, unknown>): UsageCounters {
  const n = (k: string): number => Number(row[k] ?? 0);
  return {
    requests: n('requests'),
    prompt_tokens: n('prompt_tokens'),
    completion_tokens: n('completion_tokens'),
    cache_read_tokens: n('cache_read_tokens'),
    cache_write_tokens: n('cache_write_tokens'),
    reasoning_tokens: n('reasoning_tokens'),
    cost_usd: new Decimal((row.cost_usd as string | null) ?? '0').toFixed(),
    estimated_requests: n('estimated_requests'),
    unpriced_requests: n('unpriced_requests'),
    cache_hits: n('cache_hits'),
    saved_usd: new Decimal((row.saved_usd as string | null) ?? '0').toFixed(),
  };
}
