import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AlertsJob, QueueName } from '#src/core/queue/queue.constants';
import { type AlertEvent, alertJobId } from '#src/modules/alerts/alert-event';
import { FAN_OUT_JOB_OPTIONS } from '#src/modules/alerts/webhook-backoff';

/** A publish that Redis has not acknowledged in this time is given up (and logged): callers never wait longer. */
export const PUBLISH_TIMEOUT_MS = 2000;

/**
 * Publishes alert events (SPEC §13), from the API process (proxy, limits) and the worker alike: one fan-out job on the
 * `alerts` queue, whose job id is derived from the event id, so publishing the same event again, from any pod, adds
 * nothing while that job is kept; past that, the deliveries' unique (webhook, event) rows still send it once.
 * Never throws: a failure is a warning in the log.
 */
@Injectable()
export class AlertPublisher {
  private readonly logger = new Logger(AlertPublisher.name);

  constructor(@InjectQueue(QueueName.Alerts) private readonly queue: Queue) {}

  async publish(event: AlertEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const { id, type, created_at, data } = event;
      const added = this.queue.add(
        AlertsJob.FanOut,
        { id, type, created_at, data },
        { ...FAN_OUT_JOB_OPTIONS, jobId: alertJobId(id) },
      );
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not queued within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
      });
      await Promise.race([added, timeout]);
    } catch (err) {
      this.logger.warn(
        { eventId: event.id, type: event.type, err: { message: (err as Error).message } },
        'alert event not published',
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
