import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { GatewayWorkerHost } from '#src/core/queue/gateway-worker-host';
import { AlertsJob, type JobPayloads, QueueName } from '#src/core/queue/queue.constants';
import type { AlertEvent } from '#src/modules/alerts/alert-event';
import { AlertDeliveryService } from '#src/modules/alerts/alert-delivery.service';
import { KeyExpiryService } from '#src/modules/alerts/key-expiry.service';
import { alertsBackoffStrategy } from '#src/modules/alerts/webhook-backoff';

type AlertsJobs =
  | Job<JobPayloads[AlertsJob.FanOut], number, AlertsJob.FanOut>
  | Job<JobPayloads[AlertsJob.Deliver], string, AlertsJob.Deliver>
  | Job<JobPayloads[AlertsJob.ScanKeyExpiry], number, AlertsJob.ScanKeyExpiry>;

/** Thin: one service call per job; a failed POST throws so BullMQ retries it with the delivery backoff. */
@Processor(QueueName.Alerts, { concurrency: 8, settings: { backoffStrategy: alertsBackoffStrategy } })
export class AlertsProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(AlertsProcessor.name);

  constructor(
    private readonly delivery: AlertDeliveryService,
    private readonly keyExpiry: KeyExpiryService,
  ) {
    super();
  }

  async process(job: AlertsJobs): Promise<number | string> {
    switch (job.name) {
      case AlertsJob.FanOut:
        // queued by AlertPublisher, which only takes typed events; the type is checked again in fanOut
        return this.delivery.fanOut(job.data as AlertEvent);
      case AlertsJob.Deliver:
        return this.delivery.deliver(job.data.deliveryId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
      case AlertsJob.ScanKeyExpiry:
        return this.keyExpiry.scan();
    }
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    const fields = { jobId: job?.id, job: job?.name, attempts: job?.attemptsMade, err: { message: error.message } };
    if (final) this.logger.error(fields, 'alerts job failed for good');
    else this.logger.warn(fields, 'alerts job failed; retried');
  }
}
