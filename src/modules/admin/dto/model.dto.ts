import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import Decimal from 'decimal.js';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { CACHE_DOC, CacheSettingDto, CacheSettingViewDto } from '#src/modules/admin/dto/cache-setting.dto';
import { iso, PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import { IsAmount, OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import type { ModelEntity } from '#src/modules/models/model.entity';
import type { ModelInput } from '#src/modules/models/model-management.service';
import {
  PRICE_DIRECTIONS,
  PRICE_MODALITIES,
  PRICE_TIER_RE,
  PRICE_UNITS,
  type PricingComponentEntity,
} from '#src/modules/models/pricing-component.entity';

const TIER_MESSAGE = '$property must be default, priority, flex, batch or above_<N>k';
const PRICE_DOC: ApiPropertyOptions = {
  oneOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^\\d+(\\.\\d+)?$' },
  ],
  description: 'USD per unit, a number or a decimal string',
  example: '0.15',
};
const POSITIVE_DOC = { nullable: true, minimum: 1, type: Number } as const;

/** One pricing component (SPEC §6). */
export class PricingComponentDto {
  @ApiProperty({ enum: PRICE_DIRECTIONS, example: 'input' })
  @IsIn(PRICE_DIRECTIONS)
  direction: string;

  @ApiPropertyOptional({ enum: PRICE_MODALITIES, default: 'text', example: 'text' })
  @IsOptional()
  @IsIn(PRICE_MODALITIES)
  modality?: string;

  @ApiPropertyOptional({ enum: PRICE_UNITS, default: 'token', example: '1m_tokens' })
  @IsOptional()
  @IsIn(PRICE_UNITS)
  unit?: string;

  @ApiPropertyOptional({ default: 'default', example: 'default', pattern: PRICE_TIER_RE.source })
  @IsOptional()
  @IsString()
  @Matches(PRICE_TIER_RE, { message: TIER_MESSAGE })
  tier?: string;

  @ApiProperty(PRICE_DOC)
  @IsAmount()
  price: number | string;
}

export class PricingComponentResponseDto {
  @ApiProperty({ enum: PRICE_DIRECTIONS, example: 'input' })
  direction: string;

  @ApiProperty({ enum: PRICE_MODALITIES, example: 'text' })
  modality: string;

  @ApiProperty({ enum: PRICE_UNITS, example: '1m_tokens' })
  unit: string;

  @ApiProperty({ example: 'default' })
  tier: string;

  @ApiProperty({ type: String, description: 'USD per unit, decimal string without exponent', example: '0.15' })
  price: string;

  static from(p: PricingComponentEntity): PricingComponentResponseDto {
    return {
      direction: p.direction,
      modality: p.modality,
      unit: p.unit,
      tier: p.tier,
      price: new Decimal(p.price).toFixed(),
    };
  }
}

class ModelFieldsDto {
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: 'null: a price-only model' })
  @IsOptional()
  @IsUUID()
  provider_id?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, example: 'gpt-4o-mini-2024-07-18' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  provider_model_id?: string | null;

  @ApiPropertyOptional({ ...POSITIVE_DOC, example: 128000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  context_window?: number | null;

  @ApiPropertyOptional({ ...POSITIVE_DOC, example: 16384 })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_output_tokens?: number | null;

  @ApiPropertyOptional({
    ...POSITIVE_DOC,
    example: 500,
    description: "The provider account's requests per minute for this deployment, counted across pods",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  rpm_limit?: number | null;

  @ApiPropertyOptional({
    ...POSITIVE_DOC,
    example: 200000,
    description: "The provider account's tokens per minute for this deployment, counted across pods",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  tpm_limit?: number | null;

  @ApiPropertyOptional({ type: [String], nullable: true, example: ['chat', 'vision', 'tools'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  capabilities?: string[] | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example: { family: 'gpt-4o' } })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown> | null;

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [PricingComponentDto], nullable: true, description: 'Replaced as a whole' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => PricingComponentDto)
  pricing?: PricingComponentDto[] | null;

  @ApiPropertyOptional({ ...CACHE_DOC, type: CacheSettingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CacheSettingDto)
  cache?: CacheSettingDto | null;

  protected fields(): Partial<ModelInput> {
    return {
      providerId: this.provider_id,
      providerModelId: this.provider_model_id,
      contextWindow: this.context_window,
      maxOutputTokens: this.max_output_tokens,
      rpmLimit: this.rpm_limit,
      tpmLimit: this.tpm_limit,
      capabilities: this.capabilities === null ? [] : this.capabilities,
      metadata: this.metadata === null ? {} : this.metadata,
      enabled: this.enabled,
      pricing: this.pricing === null ? [] : this.pricing,
      cache: CacheSettingDto.toSetting(this.cache),
    };
  }
}

export class ModelCreateDto extends ModelFieldsDto {
  @ApiProperty({ example: 'gpt-4o-mini', maxLength: 256, description: 'Unique across models and aliases' })
  @IsString()
  @Length(1, 256)
  name: string;

  toInput(): ModelInput {
    return { ...this.fields(), name: this.name, providerId: this.provider_id ?? null };
  }
}

/** PATCH: only the fields sent change; `pricing` is replaced as a whole. */
export class ModelUpdateDto extends ModelFieldsDto {
  @ApiPropertyOptional({ example: 'gpt-4o-mini', maxLength: 256 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 256)
  name?: string;

  toPatch(): Partial<ModelInput> {
    return { ...this.fields(), name: this.name };
  }
}

export class ModelListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the models of this provider' })
  @IsOptional()
  @IsUUID()
  provider_id?: string;
}

export class ModelResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'gpt-4o-mini' })
  name: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  provider_id: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'gpt-4o-mini-2024-07-18' })
  provider_model_id: string | null;

  @ApiProperty({ ...POSITIVE_DOC, example: 128000 })
  context_window: number | null;

  @ApiProperty({ ...POSITIVE_DOC, example: 16384 })
  max_output_tokens: number | null;

  @ApiProperty({ ...POSITIVE_DOC, example: 500 })
  rpm_limit: number | null;

  @ApiProperty({ ...POSITIVE_DOC, example: 200000 })
  tpm_limit: number | null;

  @ApiProperty({ type: [String], example: ['chat'] })
  capabilities: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  metadata: Record<string, unknown>;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ type: [PricingComponentResponseDto] })
  pricing: PricingComponentResponseDto[];

  @ApiProperty({ ...CACHE_DOC, type: CacheSettingViewDto })
  cache: CacheSettingViewDto | null;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  static from(m: ModelEntity): ModelResponseDto {
    return {
      id: m.id,
      name: m.name,
      provider_id: m.providerId,
      provider_model_id: m.providerModelId,
      context_window: m.contextWindow,
      max_output_tokens: m.maxOutputTokens,
      rpm_limit: m.rpmLimit,
      tpm_limit: m.tpmLimit,
      capabilities: m.capabilities,
      metadata: m.metadata,
      enabled: m.enabled,
      pricing: (m.pricing ?? []).map((p) => PricingComponentResponseDto.from(p)).sort(byComponent),
      cache: m.cache ?? null,
      created_at: iso(m.createdAt)!,
      updated_at: iso(m.updatedAt)!,
    };
  }
}

const byComponent = (a: PricingComponentResponseDto, b: PricingComponentResponseDto): number =>
  `${a.direction}/${a.modality}/${a.unit}/${a.tier}`.localeCompare(`${b.direction}/${b.modality}/${b.unit}/${b.tier}`);

export class ModelListDto {
  @ApiProperty({ type: [ModelResponseDto] })
  data: ModelResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
