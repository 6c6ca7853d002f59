import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { CACHE_DOC, CacheSettingDto, CacheSettingViewDto } from '#src/modules/admin/dto/cache-setting.dto';
import { iso } from '#src/modules/admin/dto/common.dto';
import { IsStringMap, OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import type { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import {
  formatDuration,
  MAX_ATTEMPT_TIMEOUT_MS,
  MAX_ROUTING_RETRIES,
  MIN_ATTEMPT_TIMEOUT_MS,
  MAX_ROUTING_TARGETS,
  RETRY_CONDITIONS,
  ROUTING_DEFAULTS,
  ROUTING_STRATEGIES,
  type RetryCondition,
  type RoutingStrategy,
} from '#src/modules/models/alias-routing';
import type { AliasInput, RoutingInput } from '#src/modules/models/model-management.service';
import { duration } from '#src/core/config/env-parsers';

const CONFIG_DOC = {
  type: 'object',
  additionalProperties: true,
  description: "Default request parameters; the client's own values override them",
  example: { temperature: 0.2 },
} as const;
const TAGS_DOC = { type: 'object', additionalProperties: { type: 'string' }, example: { team: 'search' } } as const;

export class RoutingTargetDto {
  @ApiProperty({ example: 'gpt-4o-mini', description: 'A model name (not an alias)', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  model: string;

  @ApiPropertyOptional({ example: 3, default: 1, description: "Share of the group's calls under `weighted`" })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(1_000_000)
  weight?: number;

  @ApiPropertyOptional({ example: 0, default: 0, description: 'Lower is tried first; higher groups are fallbacks' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  priority?: number;
}

const ATTEMPT_TIMEOUT_RANGE = `between ${formatDuration(MIN_ATTEMPT_TIMEOUT_MS)} and ${formatDuration(MAX_ATTEMPT_TIMEOUT_MS)}`;

/** A duration such as `500ms`, `30s` or `2m` within the attempt timeout's bounds, or null. */
function attemptTimeoutMs(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return v;
  if (typeof v !== 'string') return undefined;
  const parsed = duration(v);
  return parsed.ok && parsed.value >= MIN_ATTEMPT_TIMEOUT_MS && parsed.value <= MAX_ATTEMPT_TIMEOUT_MS
    ? parsed.value
    : undefined;
}

const IsAttemptTimeout = (): PropertyDecorator =>
  ValidateBy({
    name: 'isAttemptTimeout',
    validator: {
      validate: (v: unknown) => v === null || attemptTimeoutMs(v) !== undefined,
      defaultMessage: () => `attempt_timeout must be a duration such as 30s or 500ms, ${ATTEMPT_TIMEOUT_RANGE}`,
    },
  });

export class AliasRoutingDto {
  @ApiPropertyOptional({
    enum: ROUTING_STRATEGIES,
    default: ROUTING_DEFAULTS.strategy,
    description:
      'How a target is picked within a priority group: `weighted` (random by weight), `least_busy` (fewest calls in ' +
      'flight across pods), `latency` (lowest recent time to first byte across pods), `cost` (cheapest priced)',
  })
  @IsOptional()
  @IsIn(ROUTING_STRATEGIES, { message: `strategy must be one of ${ROUTING_STRATEGIES.join(', ')}` })
  strategy?: RoutingStrategy;

  @ApiProperty({ type: [RoutingTargetDto], minItems: 1, maxItems: MAX_ROUTING_TARGETS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ROUTING_TARGETS)
  @ValidateNested({ each: true })
  @Type(() => RoutingTargetDto)
  targets: RoutingTargetDto[];

  @ApiPropertyOptional({
    example: 1,
    default: ROUTING_DEFAULTS.retries,
    minimum: 0,
    maximum: MAX_ROUTING_RETRIES,
    description: 'Extra attempts on other targets of a priority group before falling back to the next group',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ROUTING_RETRIES)
  retries?: number;

  @ApiPropertyOptional({
    type: [String],
    enum: RETRY_CONDITIONS,
    default: RETRY_CONDITIONS,
    description: 'Failures retried on another target, before any byte reached the client',
  })
  @IsOptional()
  @IsArray()
  @IsIn(RETRY_CONDITIONS, { each: true })
  retry_on?: RetryCondition[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '30s',
    description: `How long an attempt waits for the provider's response headers before it is retried as a \`timeout\` (${ATTEMPT_TIMEOUT_RANGE}; none by default)`,
  })
  @IsOptional()
  @IsAttemptTimeout()
  attempt_timeout?: string | null;

  toInput(): RoutingInput {
    return {
      strategy: this.strategy ?? ROUTING_DEFAULTS.strategy,
      targets: this.targets.map((t) => ({
        model: t.model,
        weight: t.weight ?? ROUTING_DEFAULTS.weight,
        priority: t.priority ?? ROUTING_DEFAULTS.priority,
      })),
      retries: this.retries ?? ROUTING_DEFAULTS.retries,
      retryOn: [...new Set(this.retry_on ?? ROUTING_DEFAULTS.retryOn)],
      attemptTimeoutMs: attemptTimeoutMs(this.attempt_timeout) ?? null,
    };
  }
}

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

  @ApiPropertyOptional({
    type: AliasRoutingDto,
    nullable: true,
    description: 'Route over several models (SPEC §11); when set, model_id is ignored and may be omitted',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AliasRoutingDto)
  routing?: AliasRoutingDto | null;

  @ApiPropertyOptional({ ...CACHE_DOC, type: CacheSettingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CacheSettingDto)
  cache?: CacheSettingDto | null;

  protected fields(): Partial<AliasInput> {
    return {
      config: this.config === null ? {} : this.config,
      tags: this.tags === null ? {} : this.tags,
      enabled: this.enabled,
      routing: this.routing === undefined ? undefined : this.routing === null ? null : this.routing.toInput(),
      cache: CacheSettingDto.toSetting(this.cache),
    };
  }
}

export class AliasCreateDto extends AliasFieldsDto {
  @ApiProperty({ example: 'fast', maxLength: 256, description: 'Unique across models and aliases' })
  @IsString()
  @Length(1, 256)
  name: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    description: 'The model this alias resolves to (required without routing)',
  })
  @IsOptional()
  @IsUUID()
  model_id?: string;

  toInput(): AliasInput {
    return { ...this.fields(), name: this.name, modelId: this.model_id ?? null };
  }
}

export class AliasUpdateDto extends AliasFieldsDto {
  @ApiPropertyOptional({ example: 'fast', maxLength: 256 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 256)
  name?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'null only together with routing',
  })
  @IsOptional()
  @IsUUID()
  model_id?: string | null;

  toPatch(): Partial<AliasInput> {
    return { ...this.fields(), name: this.name, modelId: this.model_id };
  }
}

export class AliasResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'fast' })
  name: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  model_id: string | null;

  @ApiProperty({ type: () => AliasRoutingViewDto, nullable: true })
  routing: AliasRoutingViewDto | null;

  @ApiProperty(CONFIG_DOC)
  config: Record<string, unknown>;

  @ApiProperty(TAGS_DOC)
  tags: Record<string, string>;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ ...CACHE_DOC, type: CacheSettingViewDto })
  cache: CacheSettingViewDto | null;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  /** `names`: model id → current name, for the routing targets. */
  static from(a: ModelAliasEntity, names: ReadonlyMap<string, string> = new Map()): AliasResponseDto {
    return {
      id: a.id,
      name: a.name,
      model_id: a.modelId,
      routing: a.routing
        ? {
            strategy: a.routing.strategy,
            targets: a.routing.targets.map((t) => ({
              model: names.get(t.modelId) ?? null,
              model_id: t.modelId,
              weight: t.weight,
              priority: t.priority,
            })),
            retries: a.routing.retries,
            retry_on: a.routing.retryOn,
            attempt_timeout: a.routing.attemptTimeoutMs ? formatDuration(a.routing.attemptTimeoutMs) : null,
          }
        : null,
      config: a.config,
      tags: a.tags,
      enabled: a.enabled,
      cache: a.cache ?? null,
      created_at: iso(a.createdAt)!,
      updated_at: iso(a.updatedAt)!,
    };
  }
}

export class RoutingTargetViewDto {
  @ApiProperty({ nullable: true, type: String, example: 'gpt-4o-mini', description: "The model's current name" })
  model: string | null;

  @ApiProperty({ format: 'uuid' })
  model_id: string;

  @ApiProperty({ example: 1 })
  weight: number;

  @ApiProperty({ example: 0 })
  priority: number;
}

export class AliasRoutingViewDto {
  @ApiProperty({ enum: ROUTING_STRATEGIES })
  strategy: RoutingStrategy;

  @ApiProperty({ type: [RoutingTargetViewDto] })
  targets: RoutingTargetViewDto[];

  @ApiProperty({ example: 1 })
  retries: number;

  @ApiProperty({ type: [String], enum: RETRY_CONDITIONS })
  retry_on: RetryCondition[];

  @ApiProperty({ type: String, nullable: true, example: '30s' })
  attempt_timeout: string | null;
}

export class AliasListDto {
  @ApiProperty({ type: [AliasResponseDto] })
  data: AliasResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
