import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { AlertsJob, QueueName } from '#src/core/queue/queue.constants';
import { type AlertEvent, isAlertType } from '#src/modules/alerts/alert-event';
import { WebhookDeliveryError } from '#src/modules/alerts/alerts.exception';
import { deliveryJobOptions } from '#src/modules/alerts/webhook-backoff';
import { WebhookDeliveryRepository } from '#src/modules/alerts/webhook-delivery.repository';
import { webhookBody } from '#src/modules/alerts/webhook-payload';
import { WebhookRepository } from '#src/modules/alerts/webhook.repository';
import { WebhookSecrets } from '#src/modules/alerts/webhook-secrets';
import { WebhookSender } from '#src/modules/alerts/webhook-sender';

/** Where a delivery job is in its retries: BullMQ's `attemptsMade` before this run, and the job's `attempts`. */
export interface JobAttempt {
  made: number;
  max: number;
}

/** The worker side of alerts: an event becomes one delivery per subscribed webhook, and each delivery a signed POST. */
@Injectable()
export class AlertDeliveryService {
  private readonly logger = new Logger(AlertDeliveryService.name);
  private readonly retryBaseMs: number;

  constructor(
    config: AppConfig,
    private readonly webhooks: WebhookRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly secrets: WebhookSecrets,
    private readonly sender: WebhookSender,
    @InjectQueue(QueueName.Alerts) private readonly queue: Queue,
  ) {
    this.retryBaseMs = config.env.WEBHOOK_RETRY_BASE_DELAY;
  }

  /** Records the event for each enabled webhook subscribed to it and queues their POSTs; answers how many were queued. */
  async fanOut(event: AlertEvent): Promise<number> {
    if (!isAlertType(event.type)) {
      this.logger.warn({ eventId: event.id, type: event.type }, 'alert event of an unknown type dropped');
      return 0;
    }
    const webhooks = await this.webhooks.findSubscribed(event.type);
    const ids = await this.deliveries.recordEvent(
      event,
      webhooks.map((w) => w.id),
    );
    if (ids.length > 0)
      await this.queue.addBulk(
        ids.map((deliveryId) => ({
          name: AlertsJob.Deliver,
          data: { deliveryId },
          opts: deliveryJobOptions(deliveryId, this.retryBaseMs),
        })),
      );
    return ids.length;
  }

  /**
   * One POST of a delivery. A failure is recorded on the row and thrown, so BullMQ retries it; after the last attempt
   * the row is `failed`. A delivery already delivered, or whose webhook is gone, is skipped; a disabled webhook's
   * delivery fails at once.
   */
  async deliver(deliveryId: string, attempt: JobAttempt): Promise<'delivered' | 'skipped'> {
    const delivery = await this.deliveries.findById(deliveryId);
    if (!delivery || delivery.status === 'delivered') return 'skipped';
    const webhook = await this.webhooks.findById(delivery.webhookId);
    if (!webhook) return 'skipped';
    if (!webhook.enabled) {
      await this.deliveries.markFailedAttempt(deliveryId, { statusCode: null, error: 'the webhook is disabled' }, true);
      return 'skipped';
    }
    if (!(await this.deliveries.startAttempt(deliveryId))) return 'skipped';
    const secret = webhook.secretCiphertext ? this.secrets.decrypt(webhook.id, webhook.secretCiphertext) : null;
    const outcome = await this.sender.send(webhook.url, webhookBody(delivery.payload, webhook.format), secret);
    if (outcome.ok) {
      await this.deliveries.markDelivered(deliveryId, outcome.statusCode!);
      return 'delivered';
    }
    const final = attempt.made + 1 >= attempt.max;
    await this.deliveries.markFailedAttempt(deliveryId, outcome, final);
    throw new WebhookDeliveryError(deliveryId, outcome.error ?? 'unknown error');
  }
}
