import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { newId } from '#src/core/database/ids';
import { AddressPolicy } from '#src/core/net/address-guard';
import { AlertsJob, QueueName } from '#src/core/queue/queue.constants';
import type { AlertType } from '#src/modules/alerts/alert-event';
import { AlertsException } from '#src/modules/alerts/alerts.exception';
import { deliveryJobOptions } from '#src/modules/alerts/webhook-backoff';
import type { WebhookDeliveryEntity } from '#src/modules/alerts/webhook-delivery.entity';
import { WebhookDeliveryRepository } from '#src/modules/alerts/webhook-delivery.repository';
import { WebhookEntity, type WebhookFormat } from '#src/modules/alerts/webhook.entity';
import { WebhookRepository } from '#src/modules/alerts/webhook.repository';
import { WebhookSecrets } from '#src/modules/alerts/webhook-secrets';
import { checkWebhookUrl } from '#src/modules/alerts/webhook-url';

export interface WebhookInput {
  url: string;
  /** null: unsigned deliveries. */
  secret: string | null;
  events: AlertType[];
  format: WebhookFormat;
  enabled: boolean;
}

/** Webhooks as the admin API changes them: URL checks, the secret encrypted, and a delivery re-sent on demand. */
@Injectable()
export class WebhookManagementService {
  private readonly policy: AddressPolicy;
  private readonly retryBaseMs: number;

  constructor(
    config: AppConfig,
    private readonly webhooks: WebhookRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly secrets: WebhookSecrets,
    @InjectQueue(QueueName.Alerts) private readonly queue: Queue,
  ) {
    this.policy = new AddressPolicy(config.env.CATALOG_ALLOW_PRIVATE_URLS);
    this.retryBaseMs = config.env.WEBHOOK_RETRY_BASE_DELAY;
  }

  async create(input: WebhookInput): Promise<WebhookEntity> {
    const webhook = new WebhookEntity();
    webhook.id = newId();
    webhook.url = await checkWebhookUrl(input.url, this.policy);
    webhook.secretCiphertext = input.secret === null ? null : this.secrets.encrypt(webhook.id, input.secret);
    webhook.events = [...new Set(input.events)];
    webhook.format = input.format;
    webhook.enabled = input.enabled;
    return this.webhooks.save(webhook);
  }

  async update(id: string, patch: Partial<WebhookInput>): Promise<WebhookEntity> {
    const webhook = await this.get(id);
    if (patch.url !== undefined) webhook.url = await checkWebhookUrl(patch.url, this.policy);
    if (patch.secret !== undefined)
      webhook.secretCiphertext = patch.secret === null ? null : this.secrets.encrypt(id, patch.secret);
    if (patch.events !== undefined) webhook.events = [...new Set(patch.events)];
    if (patch.format !== undefined) webhook.format = patch.format;
    if (patch.enabled !== undefined) webhook.enabled = patch.enabled;
    return this.webhooks.save(webhook);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.webhooks.delete(id))) throw AlertsException.webhookNotFound(id);
  }

  async get(id: string): Promise<WebhookEntity> {
    const webhook = await this.webhooks.findById(id);
    if (!webhook) throw AlertsException.webhookNotFound(id);
    return webhook;
  }

  /**
   * Sends a delivery again: its job (kept after success or failure, or still waiting for a retry) is replaced by one
   * that runs now, under the same job id, so two resends at once still queue one job. Refused while a POST of it is
   * in flight.
   */
  async resend(webhookId: string, deliveryId: string): Promise<WebhookDeliveryEntity> {
    await this.get(webhookId);
    const delivery = await this.deliveries.findForWebhook(webhookId, deliveryId);
    if (!delivery) throw AlertsException.deliveryNotFound(deliveryId);
    const job = await this.queue.getJob(deliveryId);
    if (job) {
      if ((await job.getState()) === 'active') throw AlertsException.deliveryInFlight(deliveryId);
      await job.remove();
    }
    await this.deliveries.resetForResend(deliveryId);
    await this.queue.add(AlertsJob.Deliver, { deliveryId }, deliveryJobOptions(deliveryId, this.retryBaseMs));
    return { ...delivery, status: 'pending', deliveredAt: null };
  }
}
