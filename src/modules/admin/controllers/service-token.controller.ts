import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import { PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import {
  ServiceTokenCreateDto,
  ServiceTokenCreatedDto,
  ServiceTokenListDto,
  ServiceTokenResponseDto,
  ServiceTokenUpdateDto,
} from '#src/modules/admin/dto/service-token.dto';
import { AdminTokenRepository } from '#src/modules/auth/admin-token.repository';
import { ServiceTokensException } from '#src/modules/auth/auth.exception';
import { ServiceTokenManagementService } from '#src/modules/auth/service-token-management.service';

/** Service accounts (admin role only); the plaintext token is shown once, in the create answer. */
@AdminController('tokens', 'service_token')
export class ServiceTokenController {
  constructor(
    private readonly tokens: AdminTokenRepository,
    private readonly management: ServiceTokenManagementService,
  ) {}

  @Post()
  @AdminEndpoint({
    summary: 'Create a service token (the plaintext is shown only in this answer)',
    role: 'admin',
    status: 201,
    response: ServiceTokenCreatedDto,
    audit: 'create',
    errors: [409],
  })
  async createServiceToken(@Body() body: ServiceTokenCreateDto): Promise<ServiceTokenCreatedDto> {
    const { token, plaintext } = await this.management.create(body.toInput());
    return { ...ServiceTokenResponseDto.from(token), token: plaintext };
  }

  @Get()
  @AdminEndpoint({ summary: 'List service tokens', role: 'admin', response: ServiceTokenListDto })
  async listServiceTokens(@Query() query: PaginationQueryDto): Promise<ServiceTokenListDto> {
    const [rows, total] = await this.tokens.list(query.limit, query.offset);
    return { data: rows.map((t) => ServiceTokenResponseDto.from(t)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get a service token', role: 'admin', response: ServiceTokenResponseDto, errors: [404] })
  async getServiceToken(@IdParam() id: string): Promise<ServiceTokenResponseDto> {
    const token = await this.tokens.findById(id);
    if (!token) throw ServiceTokensException.notFound(id);
    return ServiceTokenResponseDto.from(token);
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change a service token (roles, enabled, expiry, name)',
    role: 'admin',
    response: ServiceTokenResponseDto,
    audit: 'update',
    errors: [404, 409],
  })
  async updateServiceToken(
    @IdParam() id: string,
    @Body() body: ServiceTokenUpdateDto,
  ): Promise<ServiceTokenResponseDto> {
    return ServiceTokenResponseDto.from(await this.management.update(id, body.toPatch()));
  }

  @Delete(':id')
  @AdminEndpoint({ summary: 'Delete a service token', role: 'admin', status: 204, audit: 'delete', errors: [404] })
  async deleteServiceToken(@IdParam() id: string): Promise<void> {
    await this.management.delete(id);
  }
}
