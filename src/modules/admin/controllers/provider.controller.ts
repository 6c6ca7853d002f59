import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import { PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import {
  ProviderCreateDto,
  ProviderListDto,
  ProviderResponseDto,
  ProviderTestRequestDto,
  ProviderTestResultDto,
  ProviderUpdateDto,
} from '#src/modules/admin/dto/provider.dto';
import { ProviderConnectionTester } from '#src/modules/admin/provider-connection.tester';
import { ProviderManagementService } from '#src/modules/providers/provider-management.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { ProvidersException } from '#src/modules/providers/providers.exception';

/** Upstream providers. Credentials are write-only: stored encrypted, answered only as `credentials_set`. */
@AdminController('providers', 'provider')
export class ProviderController {
  constructor(
    private readonly providers: ProviderRepository,
    private readonly management: ProviderManagementService,
    private readonly tester: ProviderConnectionTester,
  ) {}

  @Post()
  @AdminEndpoint({
    summary: 'Create a provider',
    role: 'editor',
    status: 201,
    response: ProviderResponseDto,
    audit: 'create',
    errors: [409],
  })
  async createProvider(@Body() body: ProviderCreateDto): Promise<ProviderResponseDto> {
    return ProviderResponseDto.from(await this.management.create(body.toInput()));
  }

  @Get()
  @AdminEndpoint({ summary: 'List providers', role: 'viewer', response: ProviderListDto })
  async listProviders(@Query() query: PaginationQueryDto): Promise<ProviderListDto> {
    const [rows, total] = await this.providers.list(query.limit, query.offset);
    return { data: rows.map((p) => ProviderResponseDto.from(p)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get a provider', role: 'viewer', response: ProviderResponseDto, errors: [404] })
  async getProvider(@IdParam() id: string): Promise<ProviderResponseDto> {
    const provider = await this.providers.findById(id);
    if (!provider) throw ProvidersException.notFound(id);
    return ProviderResponseDto.from(provider);
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change a provider (credentials are replaced as a whole)',
    role: 'editor',
    response: ProviderResponseDto,
    audit: 'update',
    errors: [404, 409],
  })
  async updateProvider(@IdParam() id: string, @Body() body: ProviderUpdateDto): Promise<ProviderResponseDto> {
    return ProviderResponseDto.from(await this.management.update(id, body.toPatch()));
  }

  @Post(':id/test')
  @AdminEndpoint({
    summary: 'Test the connection: one minimal real call to the provider (not billed), its latency or error',
    role: 'editor',
    response: ProviderTestResultDto,
    errors: [404],
  })
  async testProvider(@IdParam() id: string, @Body() body: ProviderTestRequestDto): Promise<ProviderTestResultDto> {
    return this.tester.test(id, body.model);
  }

  @Delete(':id')
  @AdminEndpoint({
    summary: 'Delete a provider (409 while models use it)',
    role: 'editor',
    status: 204,
    audit: 'delete',
    errors: [404, 409],
  })
  async deleteProvider(@IdParam() id: string): Promise<void> {
    await this.management.delete(id);
  }
}
