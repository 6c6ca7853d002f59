import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { QueueName } from '#src/core/queue/queue.constants';
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
