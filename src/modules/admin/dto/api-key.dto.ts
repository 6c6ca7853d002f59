import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import Decimal from 'decimal.js';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsIn,
  IsISO8601,
  IsNumber,
  IsUUID,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CACHE_DOC, CacheSettingDto, CacheSettingViewDto } from '#src/modules/admin/dto/cache-setting.dto';
import { iso, PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import {
  IsAmount,
  IsStringMap,
  OptionalNonNull,
  ToArray,
  ToBoolean,
} from '#src/modules/admin/dto/admin-field.validators';
import { PERIOD_KINDS, type PeriodKind } from '#src/modules/billing/budget-period';
import type { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { DEFAULT_ALERT_THRESHOLDS } from '#src/modules/keys/api-key-auth.service';
import type { ApiKeyInput } from '#src/modules/keys/api-key-management.service';

const LIMIT_DOC = { nullable: true, minimum: 0, type: Number } as const;
export const BUDGET_DOC: ApiPropertyOptions = {
  oneOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^\\d+(\\.\\d+)?$' },
  ],
  nullable: true,
  description:
    'USD per budget_period (calendar UTC), a number or a decimal string; null = no budget, 0 = refuse every call',
  example: '25.50',
};
export const PERIOD_DOC: ApiPropertyOptions = {
  enum: PERIOD_KINDS,
  default: 'month',
  description: 'The budget period: a UTC day, an ISO week from Monday, or a calendar month (UTC)',
};
export const THRESHOLDS_DOC: ApiPropertyOptions = {
  type: [Number],
  nullable: true,
  example: [0.5, 0.8, 1],
  description:
    'Fractions of the budget that send an alert webhook once per period (budget.threshold below 1, budget.exceeded at 1); null = [0.8, 1]',
};
const TAGS_DOC = { type: 'object', additionalProperties: { type: 'string' }, example: { team: 'search' } } as const;
const date = (v: string | null | undefined): Date | null | undefined => (v ? new Date(v) : (v as null | undefined));

/** Fields shared by create and PATCH; in PATCH every field is optional and `null` clears the optional ones. */
class ApiKeyFieldsDto {
  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['gpt-4o-mini'], description: 'Alias or model names; empty = all' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 256, { each: true })
  allowed_models?: string[] | null;

  @ApiPropertyOptional({ ...LIMIT_DOC, example: 60, description: 'Requests per rolling minute; null = no limit' })
  @IsOptional()
  @IsInt()
  @Min(0)
  rate_limit?: number | null;

  @ApiPropertyOptional({ ...LIMIT_DOC, example: 100000, description: 'Tokens per rolling minute; null = no limit' })
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

  @ApiPropertyOptional({
    ...BUDGET_DOC,
    description: 'The budget of a `month` period (the name before budget periods); not together with `budget`',
  })
  @IsOptional()
  @IsAmount()
  monthly_budget?: number | string | null;

  @ApiPropertyOptional(THRESHOLDS_DOC)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsNumber({}, { each: true })
  alert_thresholds?: number[] | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: "The key's team; null = none" })
  @IsOptional()
  @IsUUID()
  team_id?: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String, example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string | null;

  @ApiPropertyOptional({ ...TAGS_DOC, nullable: true })
  @IsOptional()
  @IsStringMap()
  tags?: Record<string, string> | null;

  @ApiPropertyOptional({ ...CACHE_DOC, type: CacheSettingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CacheSettingDto)
  cache?: CacheSettingDto | null;

  protected fields(): Partial<ApiKeyInput> {
    return {
      enabled: this.enabled,
      allowedModels: this.allowed_models === null ? [] : this.allowed_models,
      rateLimit: this.rate_limit,
      tokensPerMinute: this.tokens_per_minute,
      budget: this.budget,
      budgetPeriod: this.budget_period,
      monthlyBudget: this.monthly_budget,
      alertThresholds: this.alert_thresholds,
      teamId: this.team_id,
      expiresAt: date(this.expires_at),
      tags: this.tags === null ? {} : this.tags,
      cache: CacheSettingDto.toSetting(this.cache),
    };
  }
}

export class ApiKeyCreateDto extends ApiKeyFieldsDto {
  @ApiProperty({ example: 'search-backend', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  name: string;

  toInput(): ApiKeyInput {
    return { ...this.fields(), name: this.name };
  }
}

export class ApiKeyUpdateDto extends ApiKeyFieldsDto {
  @ApiPropertyOptional({ example: 'search-backend', maxLength: 256 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 256)
  name?: string;

  toPatch(): Partial<ApiKeyInput> {
    return { ...this.fields(), name: this.name };
  }
}

export class ApiKeyListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name (case-insensitive)', example: 'search' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  name?: string;

  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    type: [String],
    description: 'key:value; repeat for several (all must match)',
    example: ['team:search'],
  })
  @IsOptional()
  @ToArray()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[^:]{1,128}:.+$/s, { each: true, message: 'each tag must be key:value' })
  tag?: string[];

  @ApiPropertyOptional({ description: 'Also list deleted keys', example: false })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  include_deleted?: boolean;

  tags(): Record<string, string> | undefined {
    if (!this.tag) return undefined;
    return Object.fromEntries(this.tag.map((t) => [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)]));
  }
}

export class ApiKeyGetQueryDto {
  @ApiPropertyOptional({ description: 'Also find a deleted key', example: false })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  include_deleted?: boolean;
}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'search-backend' })
  name: string;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ type: [String], example: ['gpt-4o-mini'] })
  allowed_models: string[];

  @ApiProperty({ ...LIMIT_DOC, example: 60 })
  rate_limit: number | null;

  @ApiProperty({ ...LIMIT_DOC, example: null })
  tokens_per_minute: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'USD per budget_period, decimal string', example: '25.5' })
  budget: string | null;

  @ApiProperty(PERIOD_DOC)
  budget_period: PeriodKind;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The budget when budget_period is month (else null)',
    example: '25.5',
  })
  monthly_budget: string | null;

  @ApiProperty({ type: [Number], example: [0.8, 1], description: 'Alert thresholds (fractions of the budget)' })
  alert_thresholds: number[];

  @ApiProperty({ format: 'uuid', nullable: true, type: String, example: null })
  team_id: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  expires_at: string | null;

  @ApiProperty(TAGS_DOC)
  tags: Record<string, string>;

  @ApiProperty({ ...CACHE_DOC, type: CacheSettingViewDto })
  cache: CacheSettingViewDto | null;

  @ApiProperty({ description: 'First characters of the key, for recognising it', example: 'sk-gw-AbC123' })
  key_prefix: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  revoked_at: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  deleted_at: string | null;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  static from(k: ApiKeyEntity): ApiKeyResponseDto {
    return {
      id: k.id,
      name: k.name,
      enabled: k.enabled,
      allowed_models: k.allowedModels,
      rate_limit: k.rateLimit,
      tokens_per_minute: k.tokensPerMinute,
      budget: k.budget === null ? null : new Decimal(k.budget).toFixed(),
      budget_period: k.budgetPeriod,
      monthly_budget: k.budget === null || k.budgetPeriod !== 'month' ? null : new Decimal(k.budget).toFixed(),
      alert_thresholds: k.alertThresholds ?? [...DEFAULT_ALERT_THRESHOLDS],
      team_id: k.teamId,
      expires_at: iso(k.expiresAt),
      tags: Object.fromEntries((k.metadata ?? []).map((m) => [m.key, m.value])),
      cache: k.cache ?? null,
      key_prefix: k.keyPrefix,
      revoked_at: iso(k.revokedAt),
      deleted_at: iso(k.deletedAt),
      created_at: iso(k.createdAt)!,
      updated_at: iso(k.updatedAt)!,
    };
  }
}

/** The create and regenerate answers: the only times the plaintext key is shown. */
export class ApiKeyCreatedDto extends ApiKeyResponseDto {
  @ApiProperty({ description: 'The plaintext key, shown only here', example: 'sk-gw-AbC123...' })
  key: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyResponseDto] })
  data: ApiKeyResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
