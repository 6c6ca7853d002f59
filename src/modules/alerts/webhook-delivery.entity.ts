import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import type { AlertEvent } from '#src/modules/alerts/alert-event';
import type { WebhookEntity } from '#src/modules/alerts/webhook.entity';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event for one webhook. The unique (webhook, event) pair is what makes an event reach a webhook once, however
 * many times and from however many pods it is published.
 */
@Entity('webhook_deliveries')
@Index('webhook_deliveries_webhook_id_event_id_uq', ['webhookId', 'eventId'], { unique: true })
@Index('webhook_deliveries_webhook_id_created_at_idx', ['webhookId', 'createdAt'])
export class WebhookDeliveryEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid')
  webhookId: string;

  @ManyToOne('WebhookEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'webhook_deliveries_webhook_id_fk' })
  webhook?: Relation<WebhookEntity>;

  @Column('varchar', { length: 512 })
  eventId: string;

  @Column('varchar', { length: 64 })
  eventType: string;

  /** The event as sent: `{id, type, created_at, data}`. */
  @Column('jsonb')
  payload: AlertEvent;

  @Column('varchar', { length: 16, default: 'pending' })
  status: DeliveryStatus;

  /** POSTs tried so far (a resend keeps counting). */
  @Column('integer', { default: 0 })
  attempts: number;

  @Column('integer', { nullable: true })
  lastStatusCode: number | null;

  @Column('text', { nullable: true })
  lastError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  deliveredAt: Date | null;
}
