import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { QueueName } from '#src/core/queue/queue.constants';
import { CliUsageError } from '#src/cli-commands';
import { type CatalogSource, CatalogImportService } from '#src/modules/billing/catalog/catalog-import.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';

type Out = (line: string) => void;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REPLAY_WAIT_MS = 60_000;

/** `import-catalog <file-or-url> [--provider <name-or-id>]` */
export async function importCatalog(ctx: INestApplicationContext, args: string[], out: Out): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { provider: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new CliUsageError('give exactly one catalog file or http(s) URL');
  const [target] = positionals;
  let source: CatalogSource;
  if (/^https?:\/\//i.test(target)) source = { url: target };
  else {
    try {
      source = { catalog: JSON.parse(readFileSync(target, 'utf8')) as Record<string, unknown> };
    } catch (err) {
      throw new CliUsageError(`cannot read ${target} as JSON: ${(err as Error).message}`);
    }
  }
  let providerId: string | null = null;
  if (v.provider) {
    const providers = ctx.get(ProviderRepository);
    const provider = UUID_RE.test(v.provider)
      ? await providers.findById(v.provider)
      : await providers.findByName(v.provider);
    if (!provider) throw new CliUsageError(`no provider '${v.provider}' (by name or id)`);
    providerId = provider.id;
  }
  const result = await ctx.get(CatalogImportService).import(source, providerId);
  const reasons = Object.entries(result.skipped_by_reason).map(([reason, n]) => `${reason}: ${n}`);
  out(
    `catalog imported: created ${result.created}, updated ${result.updated}, skipped ${result.skipped}` +
      (reasons.length > 0 ? ` (${reasons.join(', ')})` : ''),
  );
  if (result.unknown_price_keys.length > 0)
    out(`unmapped price keys kept in metadata: ${result.unknown_price_keys.join(', ')}`);
  return 0;
}

/** `billing-failed list` and `billing-failed replay [--all | <job-id>...] [--wait]` */
export async function billingFailed(ctx: INestApplicationContext, args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const queue = ctx.get<Queue>(getQueueToken(QueueName.Billing), { strict: false });
  if (sub === 'list') {
    const jobs = await queue.getFailed(0, -1);
    if (jobs.length === 0) out('no failed billing jobs');
    for (const job of jobs) out(describe(job));
    return 0;
  }
  if (sub !== 'replay') throw new CliUsageError('use list or replay');
  const { values: v, positionals: ids } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { all: { type: 'boolean', default: false }, wait: { type: 'boolean', default: false } },
  });
  if (v.all === ids.length > 0) throw new CliUsageError('give --all or one or more job ids');
  const jobs: Job[] = v.all ? await queue.getFailed(0, -1) : [];
  let problems = 0;
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (job && (await job.isFailed())) jobs.push(job);
    else {
      out(`${id}: ${job ? 'not in the failed set' : 'no such job'}`);
      problems++;
    }
  }
  for (const job of jobs) {
    // the processor inserts ON CONFLICT (call_id) DO NOTHING: a job that did get written is not billed twice
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    out(`replayed ${job.id}`);
  }
  if (jobs.length === 0 && problems === 0) out('no failed billing jobs');
  if (v.wait) problems += await waitForOutcome(queue, jobs, out);
  return problems > 0 ? 1 : 0;
}

function describe(job: Job): string {
  const data = job.data as { callId?: string; events?: unknown[] } | undefined;
  // a batch lands here only when PostgreSQL stayed unreachable; a call it refused is retried as its own job
  const calls = data?.events ? `calls=${data.events.length}` : `call=${data?.callId ?? '-'}`;
  const reason = (job.failedReason ?? '').replace(/\s+/g, ' ').slice(0, 300);
  return `${job.id}\t${calls}\tattempts=${job.attemptsMade}\treason=${reason}`;
}

/** Waits until every replayed job has completed or failed again (a worker must be running to process them). */
async function waitForOutcome(queue: Queue, jobs: Job[], out: Out): Promise<number> {
  const pending = new Set(jobs.map((j) => j.id!));
  const deadline = Date.now() + REPLAY_WAIT_MS;
  let failed = 0;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'unknown') out(`${id}: completed`);
      else if (state === 'failed') {
        const job = await queue.getJob(id);
        out(`${id}: failed again: ${job?.failedReason ?? ''}`);
        failed++;
      } else continue;
      pending.delete(id);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  for (const id of pending) out(`${id}: still waiting (is a worker running?)`);
  return failed + pending.size;
}
