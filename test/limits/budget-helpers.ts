import Decimal from 'decimal.js';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { QueueName } from '#src/core/queue/queue.constants';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { createModel, createProvider } from '#test/factories/gateway-fixtures';
import type { TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { drainQueue } from '#test/utils/queues';

/** $1 and $100 per million tokens: 1,000 and 100,000 nano-dollars a token, so every cost is exact in nanos. */
export const INPUT_NANOS = 1_000;
export const OUTPUT_NANOS = 100_000;
export const PRICING = [
  { direction: 'input' as const, unit: '1m_tokens' as const, price: '1' },
  { direction: 'output' as const, unit: '1m_tokens' as const, price: '100' },
];

export const MESSAGES = [{ role: 'user', content: 'Say hello.' }];

export const nanosToUsd = (nanos: number | bigint): string => {
  const d = new Decimal(nanos.toString()).div(1e9);
  return d.isZero() ? '0' : d.toFixed();
};
export const usdToNanos = (usd: string): number => new Decimal(usd).mul(1e9).toNumber();

export interface BudgetModel {
  providerId: string;
  model: string;
  /** The adapter's own prompt upper bound for MESSAGES (what admission reserves for the prompt). */
  promptBound: number;
}

/** A provider at `upstreamUrl` with one priced model; the prompt bound comes from the real adapter. */
export async function createBudgetModel(
  api: TestApp,
  upstreamUrl: string,
  name: string,
  extra: { maxOutputTokens?: number } = {},
): Promise<BudgetModel> {
  const provider = await createProvider(api, { baseUrl: upstreamUrl });
  await createModel(api, { providerId: provider.id, name, pricing: PRICING, ...extra });
  const registered = await api.get(ProviderRegistry).get(provider.id);
  const promptBound = registered!.adapter.promptTokenUpperBound({ model: name, messages: MESSAGES });
  return { providerId: provider.id, model: name, promptBound };
}

/** Worst case of a call, as admission computes it: the prompt bound at the input price plus the output limit. */
export const worstCase = (m: BudgetModel, outputTokens: number): number =>
  m.promptBound * INPUT_NANOS + outputTokens * OUTPUT_NANOS;

/** Real cost of a call the budget upstream answered (it reports `promptTokens` and generates the full limit). */
export const realCost = (promptTokens: number, outputTokens: number): number =>
  promptTokens * INPUT_NANOS + outputTokens * OUTPUT_NANOS;

/** Seeds what PostgreSQL says a key already spent this month (the Redis counter is rebuilt from it). */
export async function seedMonthSpend(api: TestApp, apiKeyId: string, usd: string): Promise<void> {
  await api.get(DataSource).query(
    `INSERT INTO budget_spend (subject_type, subject_id, period, cost_usd, requests) VALUES ('key', $1, $2, $3, 0)
       ON CONFLICT (subject_type, subject_id, period) DO UPDATE SET cost_usd = EXCLUDED.cost_usd`,
    [apiKeyId, periodId('month', new Date()), usd],
  );
}

/** Spend counter and open reservations of a key, read atomically. */
export async function ledger(
  redis: Redis,
  api: TestApp,
  apiKeyId: string,
): Promise<{ spend: number | null; reserved: number; reservedTotal: number; reservations: Record<string, string> }> {
  const k = api.get(RedisKeys).apiKey(apiKeyId);
  const month = periodId('month', new Date());
  const res = await redis.multi().get(k.spend(month)).hgetall(k.reservations(month)).get(k.reservedTotal(month)).exec();
  const spend = res![0][1] as string | null;
  const reservations = res![1][1] as Record<string, string>;
  return {
    spend: spend === null ? null : Number(spend),
    reserved: Object.values(reservations).reduce((s, v) => s + Number(v), 0),
    /** The running total admission reads; must always equal `reserved`. */
    reservedTotal: Number((res![2][1] as string | null) ?? 0),
    reservations,
  };
}

/** PostgreSQL's view of a key's month: usage rows (sum and count) and the monthly aggregate. */
export async function billed(
  api: TestApp,
  apiKeyId: string,
): Promise<{ rows: number; sumUsd: string; aggregateUsd: string | null; aggregateRequests: number }> {
  const ds = api.get(DataSource);
  const [r] = await ds.query<{ rows: number; sum: string }[]>(
    `SELECT count(*)::int AS rows, coalesce(sum(cost_usd), 0)::text AS sum FROM usage_records WHERE api_key_id = $1`,
    [apiKeyId],
  );
  const agg = await ds.query<{ cost: string; requests: number }[]>(
    `SELECT cost_usd::text AS cost, requests::int AS requests FROM budget_spend
     WHERE subject_type = 'key' AND subject_id = $1 AND period = $2`,
    [apiKeyId, periodId('month', new Date())],
  );
  return {
    rows: r.rows,
    sumUsd: new Decimal(r.sum).toFixed(),
    aggregateUsd: agg[0] ? new Decimal(agg[0].cost).toFixed() : null,
    aggregateRequests: agg[0]?.requests ?? 0,
  };
}

/** Waits until `rows` usage rows of the key are written and the billing queue is idle. */
export async function waitForBilled(api: TestApp, apiKeyId: string, rows: number): Promise<void> {
  await waitFor(async () => ((await billed(api, apiKeyId)).rows >= rows ? true : undefined), 30_000, 50);
  await drainQueue(api, QueueName.Billing);
}

/** Parses the budget refusal message: what was left and what the call needed, in nanos. */
export function refusalFigures(message: string): { budget: string; left: number; needed: number } {
  const m = /budget of \$([\d.]+) .*: \$([\d.]+) left, and this call needs up to \$([\d.]+)/.exec(message);
  if (!m) throw new Error(`unexpected refusal message: ${message}`);
  return { budget: m[1], left: usdToNanos(m[2]), needed: usdToNanos(m[3]) };
}

/** Samples a key's ledger until stopped, keeping the worst values seen. */
export function sampleLedger(
  redis: Redis,
  api: TestApp,
  apiKeyId: string,
): { stop: () => Promise<{ samples: number; maxSpend: number; maxCommitted: number }> } {
  let running = true;
  let samples = 0;
  let maxSpend = 0;
  let maxCommitted = 0;
  const loop = (async () => {
    while (running) {
      const l = await ledger(redis, api, apiKeyId);
      samples++;
      maxSpend = Math.max(maxSpend, l.spend ?? 0);
      maxCommitted = Math.max(maxCommitted, (l.spend ?? 0) + l.reserved);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, maxSpend, maxCommitted };
    },
  };
}
