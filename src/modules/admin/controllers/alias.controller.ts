import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import { AliasCreateDto, AliasListDto, AliasResponseDto, AliasUpdateDto } from '#src/modules/admin/dto/alias.dto';
import { PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import type { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import { ModelRepository } from '#src/modules/models/model.repository';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { ModelsException } from '#src/modules/models/models.exception';

/** Aliases: a name clients use for a model (or several, with routing), with default request parameters. */
@AdminController('aliases', 'alias')
export class AliasController {
  constructor(
    private readonly aliases: ModelAliasRepository,
    private readonly management: ModelManagementService,
    private readonly models: ModelRepository,
  ) {}

  /** The aliases as answered: routing targets with their models' current names. */
  private async view(rows: ModelAliasEntity[]): Promise<AliasResponseDto[]> {
    const ids = rows.flatMap((a) => a.routing?.targets.map((t) => t.modelId) ?? []);
    const names = await this.models.namesByIds([...new Set(ids)]);
    return rows.map((a) => AliasResponseDto.from(a, names));
  }

  @Post()
  @AdminEndpoint({
    summary: 'Create an alias',
    role: 'editor',
    status: 201,
    response: AliasResponseDto,
    audit: 'create',
    errors: [409],
  })
  async createAlias(@Body() body: AliasCreateDto): Promise<AliasResponseDto> {
    return (await this.view([await this.management.createAlias(body.toInput())]))[0];
  }

  @Get()
  @AdminEndpoint({ summary: 'List aliases', role: 'viewer', response: AliasListDto })
  async listAliases(@Query() query: PaginationQueryDto): Promise<AliasListDto> {
    const [rows, total] = await this.aliases.list(query.limit, query.offset);
    return { data: await this.view(rows), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get an alias', role: 'viewer', response: AliasResponseDto, errors: [404] })
  async getAlias(@IdParam() id: string): Promise<AliasResponseDto> {
    const alias = await this.aliases.findById(id);
    if (!alias) throw ModelsException.aliasNotFound(id);
    return (await this.view([alias]))[0];
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change an alias',
    role: 'editor',
    response: AliasResponseDto,
    audit: 'update',
    errors: [404, 409],
  })
  async updateAlias(@IdParam() id: string, @Body() body: AliasUpdateDto): Promise<AliasResponseDto> {
    return (await this.view([await this.management.updateAlias(id, body.toPatch())]))[0];
  }

  @Delete(':id')
  @AdminEndpoint({ summary: 'Delete an alias', role: 'editor', status: 204, audit: 'delete', errors: [404] })
  async deleteAlias(@IdParam() id: string): Promise<void> {
    await this.management.deleteAlias(id);
  }
}
