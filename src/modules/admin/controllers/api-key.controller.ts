import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import {
  ApiKeyCreateDto,
  ApiKeyCreatedDto,
  ApiKeyGetQueryDto,
  ApiKeyListDto,
  ApiKeyListQueryDto,
  ApiKeyResponseDto,
  ApiKeyUpdateDto,
} from '#src/modules/admin/dto/api-key.dto';
import { UsageRangeQueryDto, UsageReportDto } from '#src/modules/admin/dto/usage.dto';
import { BillingException } from '#src/modules/billing/billing.exception';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';
import { ApiKeyManagementService, ApiKeysException } from '#src/modules/keys/api-key-management.service';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';

/**
 * Gateway API keys. The plaintext is shown only by create and regenerate; every change drops the proxy's key
 * cache on every pod, so a regenerated, revoked, disabled or deleted key stops working at once.
 */
@AdminController('api-keys', 'api_key')
export class ApiKeyController {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly management: ApiKeyManagementService,
    private readonly usage: UsageReportRepository,
  ) {}

  @Post()
  @AdminEndpoint({
    summary: 'Create an API key (the plaintext key is shown only in this answer)',
    role: 'editor',
    status: 201,
    response: ApiKeyCreatedDto,
    audit: 'create',
  })
  async createApiKey(@Body() body: ApiKeyCreateDto): Promise<ApiKeyCreatedDto> {
    const { key, plaintext } = await this.management.create(body.toInput());
    return { ...ApiKeyResponseDto.from(key), key: plaintext };
  }

  @Get()
  @AdminEndpoint({
    summary: 'List API keys (filters: name, enabled, tag=k:v, include_deleted)',
    role: 'viewer',
    response: ApiKeyListDto,
  })
  async listApiKeys(@Query() query: ApiKeyListQueryDto): Promise<ApiKeyListDto> {
    const [rows, total] = await this.keys.list(
      { name: query.name, enabled: query.enabled, tags: query.tags(), includeDeleted: query.include_deleted },
      query.limit,
      query.offset,
    );
    return { data: rows.map((k) => ApiKeyResponseDto.from(k)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get an API key', role: 'viewer', response: ApiKeyResponseDto, errors: [404] })
  async getApiKey(@IdParam() id: string, @Query() query: ApiKeyGetQueryDto): Promise<ApiKeyResponseDto> {
    const key = await this.keys.findById(id);
    if (!key || (key.deletedAt && !query.include_deleted)) throw ApiKeysException.notFound(id);
    return ApiKeyResponseDto.from(key);
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change an API key (limits, budget, models, tags, ...)',
    role: 'editor',
    response: ApiKeyResponseDto,
    audit: 'update',
    errors: [404],
  })
  async updateApiKey(@IdParam() id: string, @Body() body: ApiKeyUpdateDto): Promise<ApiKeyResponseDto> {
    return ApiKeyResponseDto.from(await this.management.update(id, body.toPatch()));
  }

  @Delete(':id')
  @AdminEndpoint({
    summary: 'Delete an API key: revoked and hidden from lists (usage history keeps it)',
    role: 'editor',
    status: 204,
    audit: 'delete',
    errors: [404],
  })
  async deleteApiKey(@IdParam() id: string): Promise<void> {
    await this.management.delete(id);
  }

  @Post(':id/regenerate')
  @AdminEndpoint({
    summary: 'Replace the secret (shown only in this answer); the old one stops working at once',
    role: 'editor',
    response: ApiKeyCreatedDto,
    audit: 'regenerate',
    errors: [404],
  })
  async regenerateApiKey(@IdParam() id: string): Promise<ApiKeyCreatedDto> {
    const { key, plaintext } = await this.management.regenerate(id);
    return { ...ApiKeyResponseDto.from(key), key: plaintext };
  }

  @Post(':id/revoke')
  @AdminEndpoint({
    summary: 'Revoke the key for good (it stays listed)',
    role: 'editor',
    response: ApiKeyResponseDto,
    audit: 'revoke',
    errors: [404],
  })
  async revokeApiKey(@IdParam() id: string): Promise<ApiKeyResponseDto> {
    return ApiKeyResponseDto.from(await this.management.revoke(id));
  }

  @Get(':id/usage')
  @AdminEndpoint({
    summary: "One key's usage over [from, to) (deleted keys included), optionally grouped by model, provider, day",
    role: 'viewer',
    response: UsageReportDto,
    errors: [404],
  })
  async getApiKeyUsage(@IdParam() id: string, @Query() query: UsageRangeQueryDto): Promise<UsageReportDto> {
    if (!(await this.keys.findById(id))) throw ApiKeysException.notFound(id);
    const range = query.range();
    if (typeof range === 'string') throw BillingException.invalid(range);
    return this.usage.report({ ...range, apiKeyId: id }, query.groups());
  }
}
