import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { iso } from '#src/modules/admin/dto/common.dto';
import { OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import { ALERT_TYPES, type AlertType } from '#src/modules/alerts/alert-event';
import { DELIVERY_STATUSES, type DeliveryStatus } from '#src/modules/alerts/webhook-delivery.entity';
import type { WebhookDeliveryEntity } from '#src/modules/alerts/webhook-delivery.entity';
import { WEBHOOK_FORMATS, type WebhookEntity, type WebhookFormat } from '#src/modules/alerts/webhook.entity';
import type { WebhookInput } from '#src/modules/alerts/webhook-management.service';

const URL_DOC = {
  example: 'https://hooks.example.com/llm-gateway',
  maxLength: 2048,
  description: 'http(s); loopback and private addresses need CATALOG_ALLOW_PRIVATE_URLS=true, link-local never',
} as const;
const SECRET_DOC = {
  example: 'whsec-7f3a9c1e5b2d4f6a8c0e',
  minLength: 8,
  maxLength: 512,
  description:
    'Write-only signing key: each POST carries `x-gateway-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; without one, deliveries are unsigned',
} as const;
const EVENTS_DOC = {
  type: String,
  isArray: true,
  enum: [...ALERT_TYPES],
  example: ['budget.threshold', 'budget.exceeded'],
  description: 'The event types sent to this webhook',
};
const FORMAT_DOC = {
  enum: WEBHOOK_FORMATS,
  default: 'json',
  description: '`json`: the event `{id, type, created_at, data}`; `slack`: a Slack incoming-webhook message `{text}`',
} as const;

/** A non-empty list of known event types. */
const IsEvents = (): PropertyDecorator =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(ALERT_TYPES.length * 4),
    IsIn(ALERT_TYPES, { each: true, message: `each value in events must be one of ${ALERT_TYPES.join(', ')}` }),
  );

class WebhookFieldsDto {
  @ApiPropertyOptional(FORMAT_DOC)
  @OptionalNonNull()
  @IsIn(WEBHOOK_FORMATS, { message: `format must be one of ${WEBHOOK_FORMATS.join(', ')}` })
  format?: WebhookFormat;

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookCreateDto extends WebhookFieldsDto {
  @ApiProperty(URL_DOC)
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiPropertyOptional(SECRET_DOC)
  @IsOptional()
  @IsString()
  @Length(8, 512)
  secret?: string;

  @ApiProperty({ ...EVENTS_DOC, minItems: 1 })
  @IsEvents()
  events: AlertType[];

  toInput(): WebhookInput {
    return {
      url: this.url,
      secret: this.secret ?? null,
      events: this.events,
      format: this.format ?? 'json',
      enabled: this.enabled ?? true,
    };
  }
}

export class WebhookUpdateDto extends WebhookFieldsDto {
  @ApiPropertyOptional(URL_DOC)
  @OptionalNonNull()
  @IsString()
  @Length(1, 2048)
  url?: string;

  @ApiPropertyOptional({
    ...SECRET_DOC,
    type: String,
    nullable: true,
    description: `${SECRET_DOC.description}; null removes it`,
  })
  @IsOptional()
  @IsString()
  @Length(8, 512)
  secret?: string | null;

  @ApiPropertyOptional({ ...EVENTS_DOC, minItems: 1 })
  @OptionalNonNull()
  @IsEvents()
  events?: AlertType[];

  toPatch(): Partial<WebhookInput> {
    return { url: this.url, secret: this.secret, events: this.events, format: this.format, enabled: this.enabled };
  }
}

export class WebhookResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: URL_DOC.example })
  url: string;

  @ApiProperty({
    example: true,
    description: 'Whether a signing secret is stored (the secret itself is never answered)',
  })
  secret_set: boolean;

  @ApiProperty(EVENTS_DOC)
  events: AlertType[];

  @ApiProperty({ enum: WEBHOOK_FORMATS })
  format: WebhookFormat;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T12:00:00.000Z' })
  updated_at: string;

  static from(w: WebhookEntity): WebhookResponseDto {
    return {
      id: w.id,
      url: w.url,
      secret_set: w.secretCiphertext !== null,
      events: w.events,
      format: w.format,
      enabled: w.enabled,
      created_at: iso(w.createdAt)!,
      updated_at: iso(w.updatedAt)!,
    };
  }
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookResponseDto] })
  data: WebhookResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  webhook_id: string;

  @ApiProperty({ example: 'budget.threshold:key:0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c:0.8:month:2026-12' })
  event_id: string;

  @ApiProperty({ enum: ALERT_TYPES })
  event_type: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The event as sent: `{id, type, created_at, data}`',
  })
  payload: Record<string, unknown>;

  @ApiProperty({ enum: DELIVERY_STATUSES, description: '`failed`: every retry in 24 h failed (a resend starts over)' })
  status: DeliveryStatus;

  @ApiProperty({ example: 1, description: 'POSTs tried so far' })
  attempts: number;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  last_status_code: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'HTTP 500' })
  last_error: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at: string | null;

  static from(d: WebhookDeliveryEntity): WebhookDeliveryDto {
    return {
      id: d.id,
      webhook_id: d.webhookId,
      event_id: d.eventId,
      event_type: d.eventType,
      payload: d.payload,
      status: d.status,
      attempts: d.attempts,
      last_status_code: d.lastStatusCode,
      last_error: d.lastError,
      created_at: iso(d.createdAt)!,
      delivered_at: iso(d.deliveredAt),
    };
  }
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  data: WebhookDeliveryDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
