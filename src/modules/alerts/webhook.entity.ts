import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { AlertType } from '#src/modules/alerts/alert-event';

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** An alert webhook (SPEC §13): where events of the subscribed types are POSTed, signed with its secret. */
@Entity('webhooks')
export class WebhookEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  url: string;

  /** The signing secret, AES-256-GCM under ENCRYPTION_KEY (CredentialCipher); null: deliveries are unsigned. */
  @Column('text', { nullable: true })
  secretCiphertext: string | null;

  @Column('text', { array: true, default: () => "'{}'" })
  events: AlertType[];

  /** `json`: the event itself; `slack`: a Slack incoming-webhook message (`{text}`). */
  @Column('varchar', { length: 16, default: 'json' })
  format: WebhookFormat;

  @Column('boolean', { default: true })
  enabled: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
