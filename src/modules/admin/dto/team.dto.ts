import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import Decimal from 'decimal.js';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { BUDGET_DOC, PERIOD_DOC, THRESHOLDS_DOC } from '#src/modules/admin/dto/api-key.dto';
import { CACHE_DOC, CacheSettingDto, CacheSettingViewDto } from '#src/modules/admin/dto/cache-setting.dto';
import { iso, PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import { IsAmount, IsStringMap, OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import { PERIOD_KINDS, type PeriodKind } from '#src/modules/billing/budget-period';
import { DEFAULT_ALERT_THRESHOLDS } from '#src/modules/keys/api-key-auth.service';
import type { TeamInput } from '#src/modules/keys/team-management.service';
import type { TeamEntity } from '#src/modules/teams/team.entity';

const LIMIT_DOC = { nullable: true, minimum: 0, type: Number } as const;
const TAGS_DOC = {
  type: 'object',
  additionalProperties: { type: 'string' },
  example: { cost_center: 'cc-42' },
} as const;

/** Fields shared by create and PATCH; in PATCH every field is optional and `null` clears the optional ones. */
class TeamFieldsDto {
  @ApiPropertyOptional({ example: true, default: true, description: 'false refuses every key of the team at once' })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    type: [String],
    example: ['gpt-4o-mini'],
    description: "Alias or model names the team's keys may call; empty = all. A key's own list must be within it",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 256, { each: true })
  allowed_models?: string[] | null;

  @ApiPropertyOptional({
    ...LIMIT_DOC,
    example: 600,
    description: "Requests per rolling minute over all the team's keys",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  rate_limit?: number | null;

  @ApiPropertyOptional({
    ...LIMIT_DOC,
    example: null,
    description: "Tokens per rolling minute over all the team's keys",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  tokens_per_minute?: number | null;

  @ApiPropertyOptional(BUDGET_DOC)
  @IsOptional()
  @IsAmount()
  budget?: number | string | null;

  @ApiPropertyOptional(PERIOD_DOC)
  @OptionalNonNull()
  @IsIn(PERIOD_KINDS)
  budget_period?: PeriodKind;

  @ApiPropertyOptional(THRESHOLDS_DOC)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsNumber({}, { each: true })
  alert_thresholds?: number[] | null;

  @ApiPropertyOptional({ ...TAGS_DOC, nullable: true })
  @IsOptional()
  @IsStringMap()
  tags?: Record<string, string> | null;

  @ApiPropertyOptional({ ...CACHE_DOC, type: CacheSettingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CacheSettingDto)
  cache?: CacheSettingDto | null;

  protected fields(): Partial<TeamInput> {
    return {
      enabled: this.enabled,
      allowedModels: this.allowed_models === null ? [] : this.allowed_models,
      rateLimit: this.rate_limit,
      tokensPerMinute: this.tokens_per_minute,
      budget: this.budget,
      budgetPeriod: this.budget_period,
      alertThresholds: this.alert_thresholds,
      tags: this.tags === null ? {} : this.tags,
      cache: CacheSettingDto.toSetting(this.cache),
    };
  }
}

export class TeamCreateDto extends TeamFieldsDto {
  @ApiProperty({ example: 'search', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  name: string;

  toInput(): TeamInput {
    return { ...this.fields(), name: this.name };
  }
}

export class TeamUpdateDto extends TeamFieldsDto {
  @ApiPropertyOptional({ example: 'search', maxLength: 256 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 256)
  name?: string;

  toPatch(): Partial<TeamInput> {
    return { ...this.fields(), name: this.name };
  }
}

export class TeamListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name (case-insensitive)', example: 'search' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  name?: string;
}

export class TeamResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'search' })
  name: string;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ type: [String], example: [] })
  allowed_models: string[];

  @ApiProperty({ ...LIMIT_DOC, example: 600 })
  rate_limit: number | null;

  @ApiProperty({ ...LIMIT_DOC, example: null })
  tokens_per_minute: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'USD per budget_period, decimal string', example: '500' })
  budget: string | null;

  @ApiProperty(PERIOD_DOC)
  budget_period: PeriodKind;

  @ApiProperty({ type: [Number], example: [0.8, 1] })
  alert_thresholds: number[];

  @ApiProperty(TAGS_DOC)
  tags: Record<string, string>;

  @ApiProperty({ ...CACHE_DOC, type: CacheSettingViewDto })
  cache: CacheSettingViewDto | null;

  @ApiProperty({ format: 'date-time', example: '2026-12-06T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-06T12:00:00.000Z' })
  updated_at: string;

  static from(t: TeamEntity): TeamResponseDto {
    return {
      id: t.id,
      name: t.name,
      enabled: t.enabled,
      allowed_models: t.allowedModels,
      rate_limit: t.rateLimit,
      tokens_per_minute: t.tokensPerMinute,
      budget: t.budget === null ? null : new Decimal(t.budget).toFixed(),
      budget_period: t.budgetPeriod,
      alert_thresholds: t.alertThresholds ?? [...DEFAULT_ALERT_THRESHOLDS],
      tags: t.tags,
      cache: t.cache ?? null,
      created_at: iso(t.createdAt)!,
      updated_at: iso(t.updatedAt)!,
    };
  }
}

export class TeamListDto {
  @ApiProperty({ type: [TeamResponseDto] })
  data: TeamResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
