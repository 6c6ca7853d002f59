import { getQueueToken } from '@nestjs/bullmq';
import type { Job, JobType, Queue } from 'bullmq';
import { BillingJob, QueueName, type UsageJobData } from '#src/core/queue/queue.constants';
import type { TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';

export function queueOf(app: TestApp, name: QueueName): Queue {
  return app.app.get<Queue>(getQueueToken(name));
}

/** Waits until a queue has nothing waiting, delayed, prioritized or active. */
export async function drainQueue(app: TestApp, name: QueueName, timeoutMs = 20_000): Promise<void> {
  const queue = queueOf(app, name);
  await waitFor(
    async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(c).every((n) => n === 0) ? true : undefined;
    },
    timeoutMs,
    50,
  );
}

/** Each billing event in the queue (batch jobs and single ones), by call id: its job and that job's state. */
export async function billingJobsByCall(
  queue: Queue,
  states: JobType[] = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'],
): Promise<Map<string, { job: Job; state: string; event: UsageJobData }>> {
  const byCall = new Map<string, { job: Job; state: string; event: UsageJobData }>();
  for (const state of states)
    for (const job of await queue.getJobs([state])) {
      if (!job) continue;
      const name = job.name as BillingJob;
      const events: UsageJobData[] =
        name === BillingJob.RecordUsageBatch
          ? (job.data as { events: UsageJobData[] }).events
          : name === BillingJob.RecordUsage
            ? [job.data as UsageJobData]
            : [];
      for (const event of events) byCall.set(event.callId, { job, state, event });
    }
  return byCall;
}
