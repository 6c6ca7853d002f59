import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { iso } from '#src/modules/admin/dto/common.dto';
import { IsStringMap, OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import type { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import type { AliasInput } from '#src/modules/models/model-management.service';

const CONFIG_DOC = {
  type: 'object',
  additionalProperties: true,
  description: "Default request parameters; the client's own values override them",
  example: { temperature: 0.2 },
} as const;
const TAGS_DOC = { type: 'object', additionalProperties: { type: 'string' }, example: { team: 'search' } } as const;

class AliasFieldsDto {
  @ApiPropertyOptional({ ...CONFIG_DOC, nullable: true })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...TAGS_DOC, nullable: true })
  @IsOptional()
  @IsStringMap()
  tags?: Record<string, string> | null;

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  protected fields(): Partial<AliasInput> {
    return {
      config: this.config === null ? {} : this.config,
      tags: this.tags === null ? {} : this.tags,
      enabled: this.enabled,
    };
  }
}

export class AliasCreateDto extends AliasFieldsDto {
  @ApiProperty({ example: 'fast', maxLength: 256, description: 'Unique across models and aliases' })
  @IsString()
  @Length(1, 256)
  name: string;

  @ApiProperty({ format: 'uuid', description: 'The model this alias resolves to' })
  @IsUUID()
  model_id: string;

  toInput(): AliasInput {
    return { ...this.fields(), name: this.name, modelId: this.model_id };
  }
}

export class AliasUpdateDto extends AliasFieldsDto {
  @ApiPropertyOptional({ example: 'fast', maxLength: 256 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 256)
  name?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @OptionalNonNull()
  @IsUUID()
  model_id?: string;

  toPatch(): Partial<AliasInput> {
    return { ...this.fields(), name: this.name, modelId: this.model_id };
  }
}

export class AliasResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'fast' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  model_id: string;

  @ApiProperty(CONFIG_DOC)
  config: Record<string, unknown>;

  @ApiProperty(TAGS_DOC)
  tags: Record<string, string>;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  static from(a: ModelAliasEntity): AliasResponseDto {
    return {
      id: a.id,
      name: a.name,
      model_id: a.modelId,
      config: a.config,
      tags: a.tags,
      enabled: a.enabled,
      created_at: iso(a.createdAt)!,
      updated_at: iso(a.updatedAt)!,
    };
  }
}

export class AliasListDto {
  @ApiProperty({ type: [AliasResponseDto] })
  data: AliasResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
