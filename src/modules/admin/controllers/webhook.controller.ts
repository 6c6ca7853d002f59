import { Body, Delete, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import { PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import {
  WebhookCreateDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookListDto,
  WebhookResponseDto,
  WebhookUpdateDto,
} from '#src/modules/admin/dto/webhook.dto';
import { WebhookDeliveryRepository } from '#src/modules/alerts/webhook-delivery.repository';
import { WebhookManagementService } from '#src/modules/alerts/webhook-management.service';
import { WebhookRepository } from '#src/modules/alerts/webhook.repository';

/** Alert webhooks (SPEC §13), admin role only: the secret is write-only (`secret_set`), deliveries listed and re-sent. */
@AdminController('webhooks', 'webhook')
export class WebhookController {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly management: WebhookManagementService,
  ) {}

  @Post()
  @AdminEndpoint({
    summary: 'Create a webhook',
    role: 'admin',
    status: 201,
    response: WebhookResponseDto,
    audit: 'create',
  })
  async createWebhook(@Body() body: WebhookCreateDto): Promise<WebhookResponseDto> {
    return WebhookResponseDto.from(await this.management.create(body.toInput()));
  }

  @Get()
  @AdminEndpoint({ summary: 'List webhooks', role: 'admin', response: WebhookListDto })
  async listWebhooks(@Query() query: PaginationQueryDto): Promise<WebhookListDto> {
    const [rows, total] = await this.webhooks.list(query.limit, query.offset);
    return { data: rows.map((w) => WebhookResponseDto.from(w)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get a webhook', role: 'admin', response: WebhookResponseDto, errors: [404] })
  async getWebhook(@IdParam() id: string): Promise<WebhookResponseDto> {
    return WebhookResponseDto.from(await this.management.get(id));
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change a webhook (`secret: null` removes the secret)',
    role: 'admin',
    response: WebhookResponseDto,
    audit: 'update',
    errors: [404],
  })
  async updateWebhook(@IdParam() id: string, @Body() body: WebhookUpdateDto): Promise<WebhookResponseDto> {
    return WebhookResponseDto.from(await this.management.update(id, body.toPatch()));
  }

  @Delete(':id')
  @AdminEndpoint({
    summary: 'Delete a webhook and its deliveries',
    role: 'admin',
    status: 204,
    audit: 'delete',
    errors: [404],
  })
  async deleteWebhook(@IdParam() id: string): Promise<void> {
    await this.management.delete(id);
  }

  @Get(':id/deliveries')
  @AdminEndpoint({
    summary: "List a webhook's deliveries, newest first",
    role: 'admin',
    response: WebhookDeliveryListDto,
    errors: [404],
  })
  async listWebhookDeliveries(
    @IdParam() id: string,
    @Query() query: PaginationQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    await this.management.get(id);
    const [rows, total] = await this.deliveries.listForWebhook(id, query.limit, query.offset);
    return { data: rows.map((d) => WebhookDeliveryDto.from(d)), total };
  }

  @Post(':id/deliveries/:deliveryId/resend')
  @AdminEndpoint({
    summary: 'Send a delivery again now (it becomes pending; its retries start over)',
    role: 'admin',
    response: WebhookDeliveryDto,
    audit: 'resend',
    errors: [404, 409],
  })
  async resendWebhookDelivery(
    @IdParam() id: string,
    @Param('deliveryId', new ParseUUIDPipe()) deliveryId: string,
  ): Promise<WebhookDeliveryDto> {
    return WebhookDeliveryDto.from(await this.management.resend(id, deliveryId));
  }
}
