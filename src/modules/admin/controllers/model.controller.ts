import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
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
  ) {}

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
