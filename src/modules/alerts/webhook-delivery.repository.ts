import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { newId } from '#src/core/database/ids';
import type { AlertEvent } from '#src/modules/alerts/alert-event';
import { WebhookDeliveryEntity } from '#src/modules/alerts/webhook-delivery.entity';

/** The outcome of one POST, as the delivery row records it. */
export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
}

@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectRepository(WebhookDeliveryEntity) private readonly repo: Repository<WebhookDeliveryEntity>) {}

  /**
   * Records the event for each webhook that has no row for it yet (ON CONFLICT (webhook_id, event_id) DO NOTHING),
   * then answers the ids of this event's rows for these webhooks that are still pending: the new ones, and any
   * whose job was lost before it was enqueued (a crash between the insert and the enqueue).
   */
  async recordEvent(event: AlertEvent, webhookIds: string[]): Promise<string[]> {
    if (webhookIds.length === 0) return [];
    await this.repo
      .createQueryBuilder()
      .insert()
      .into(WebhookDeliveryEntity)
      .values(
        webhookIds.map((webhookId) => ({
          id: newId(),
          webhookId,
          eventId: event.id,
          eventType: event.type,
          payload: event,
        })),
      )
      .orIgnore()
      .execute();
    const pending = await this.repo.find({
      select: { id: true },
      where: { eventId: event.id, webhookId: In(webhookIds), status: 'pending' },
    });
    return pending.map((d) => d.id);
  }

  findById(id: string): Promise<WebhookDeliveryEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findForWebhook(webhookId: string, id: string): Promise<WebhookDeliveryEntity | null> {
    return this.repo.findOneBy({ id, webhookId });
  }

  /** A webhook's deliveries, newest first. */
  listForWebhook(webhookId: string, limit: number, offset: number): Promise<[WebhookDeliveryEntity[], number]> {
    return this.repo.findAndCount({
      where: { webhookId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  /** Counts an attempt before the POST (so a crash mid-send still counts); null when gone or delivered already. */
  async startAttempt(id: string): Promise<WebhookDeliveryEntity | null> {
    const result = await this.repo
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({ attempts: () => 'attempts + 1' })
      .where("id = :id AND status <> 'delivered'", { id })
      .execute();
    return (result.affected ?? 0) > 0 ? this.repo.findOneBy({ id }) : null;
  }

  async markDelivered(id: string, statusCode: number): Promise<void> {
    await this.repo.update(
      { id },
      { status: 'delivered', lastStatusCode: statusCode, lastError: null, deliveredAt: new Date() },
    );
  }

  /** A failed POST; `final` when no retry follows. */
  async markFailedAttempt(id: string, outcome: AttemptOutcome, final: boolean): Promise<void> {
    await this.repo.update(
      { id },
      { lastStatusCode: outcome.statusCode, lastError: outcome.error, ...(final ? { status: 'failed' } : {}) },
    );
  }

  /** A resend: pending again (the attempt count goes on). */
  async resetForResend(id: string): Promise<void> {
    await this.repo.update({ id }, { status: 'pending', deliveredAt: null });
  }
}
