import { Body, Delete, Get, Patch, Post, Query, ValidationPipe } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import { ModelImportDto, ModelImportQueryDto, ModelImportResultDto } from '#src/modules/admin/dto/model-import.dto';
import type { CatalogSource } from '#src/modules/billing/catalog/catalog-import.service';
import { CatalogImportService } from '#src/modules/billing/catalog/catalog-import.service';
import { CatalogException } from '#src/modules/billing/catalog/catalog.exception';
import {
  ModelCreateDto,
  ModelListDto,
  ModelListQueryDto,
  ModelResponseDto,
  ModelUpdateDto,
} from '#src/modules/admin/dto/model.dto';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { ModelRepository } from '#src/modules/models/model.repository';
import { ModelsException } from '#src/modules/models/models.exception';

/** Models with their price lists; names are unique across models and aliases. */
@AdminController('models', 'model')
export class ModelController {
  constructor(
    private readonly models: ModelRepository,
    private readonly management: ModelManagementService,
    private readonly catalog: CatalogImportService,
  ) {}

  @Post('import')
  @AdminEndpoint({
    summary: 'Import a LiteLLM catalog (body, {catalog} or {url}): upserts models and their prices by name',
    role: 'editor',
    response: ModelImportResultDto,
    audit: 'import',
  })
  @ApiBody({ type: ModelImportDto })
  async importModels(@Body() body: unknown, @Query() query: ModelImportQueryDto): Promise<ModelImportResultDto> {
    const { source, providerId } = await importRequest(body);
    if (providerId && query.provider_id && providerId !== query.provider_id)
      throw CatalogException.invalid('provider_id differs between the body and the query');
    return this.catalog.import(source, providerId ?? query.provider_id ?? null);
  }

  @Post()
  @AdminEndpoint({
    summary: 'Create a model with its pricing',
    role: 'editor',
    status: 201,
    response: ModelResponseDto,
    audit: 'create',
    errors: [409],
  })
  async createModel(@Body() body: ModelCreateDto): Promise<ModelResponseDto> {
    return ModelResponseDto.from(await this.management.createModel(body.toInput()));
  }

  @Get()
  @AdminEndpoint({ summary: 'List models (filter: provider_id)', role: 'viewer', response: ModelListDto })
  async listAdminModels(@Query() query: ModelListQueryDto): Promise<ModelListDto> {
    const [rows, total] = await this.models.list({ providerId: query.provider_id }, query.limit, query.offset);
    return { data: rows.map((m) => ModelResponseDto.from(m)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get a model', role: 'viewer', response: ModelResponseDto, errors: [404] })
  async getModel(@IdParam() id: string): Promise<ModelResponseDto> {
    const model = await this.models.findByIdWithPricing(id);
    if (!model) throw ModelsException.modelNotFound(id);
    return ModelResponseDto.from(model);
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change a model (pricing is replaced as a whole)',
    role: 'editor',
    response: ModelResponseDto,
    audit: 'update',
    errors: [404, 409],
  })
  async updateModel(@IdParam() id: string, @Body() body: ModelUpdateDto): Promise<ModelResponseDto> {
    return ModelResponseDto.from(await this.management.updateModel(id, body.toPatch()));
  }

  @Delete(':id')
  @AdminEndpoint({
    summary: 'Delete a model (409 while aliases use it)',
    role: 'editor',
    status: 204,
    audit: 'delete',
    errors: [404, 409],
  })
  async deleteModel(@IdParam() id: string): Promise<void> {
    await this.management.deleteModel(id);
  }
}

const WRAPPED = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

/** Tells the three body forms apart; the wrapped ones are validated like any admin DTO. */
async function importRequest(body: unknown): Promise<{ source: CatalogSource; providerId?: string }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw CatalogException.invalid('send the catalog object, {catalog: {...}} or {url}');
  if ('catalog' in body || 'url' in body) {
    const dto = (await WRAPPED.transform(body, { type: 'body', metatype: ModelImportDto })) as ModelImportDto;
    if ((dto.catalog === undefined) === (dto.url === undefined))
      throw CatalogException.invalid('send exactly one of catalog and url');
    return {
      source: dto.url !== undefined ? { url: dto.url } : { catalog: dto.catalog! },
      providerId: dto.provider_id,
    };
  }
  const { provider_id: providerId, ...catalog } = body as Record<string, unknown>;
  if (providerId !== undefined && typeof providerId !== 'string')
    throw CatalogException.invalid('provider_id must be a UUID');
  if (Object.keys(catalog).length === 0) throw CatalogException.invalid('the catalog is empty');
  if (providerId !== undefined)
    await WRAPPED.transform({ provider_id: providerId }, { type: 'query', metatype: ModelImportQueryDto });
  return { source: { catalog }, providerId };
}
