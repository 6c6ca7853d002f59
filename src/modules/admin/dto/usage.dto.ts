import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, ValidateBy } from 'class-validator';
import { USAGE_GROUPS, type UsageFilter, type UsageGroup } from '#src/modules/billing/usage-report.repository';

/** A date (`2026-11-01`, UTC midnight) or a date-time with `Z` or an offset; never a local time. */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

const IsInstant = (): PropertyDecorator =>
  ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && INSTANT_RE.test(v) && !Number.isNaN(Date.parse(v)),
      defaultMessage: () => '$property must be an ISO-8601 date or date-time with Z or an offset',
    },
  });

const RANGE_DOC = { format: 'date-time', description: 'ISO-8601; a bare date is UTC midnight' } as const;

/** `?from=&to=`: the range `[from, to)`. */
export class UsageRangeDto {
  @ApiPropertyOptional({ ...RANGE_DOC, example: '2026-11-01', description: 'Inclusive start (ISO-8601, UTC)' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ ...RANGE_DOC, example: '2026-12-01', description: 'Exclusive end (ISO-8601, UTC)' })
  @IsOptional()
  @IsInstant()
  to?: string;

  /** The filter, or a message when the range is empty or reversed. */
  range(): Pick<UsageFilter, 'from' | 'to'> | string {
    const from = this.from ? new Date(this.from) : undefined;
    const to = this.to ? new Date(this.to) : undefined;
    if (from && to && from.getTime() >= to.getTime()) return 'from must be before to';
    return { from, to };
  }
}

/** `?from=&to=&group_by=` of every usage report; the range is `[from, to)`. */
export class UsageRangeQueryDto extends UsageRangeDto {
  @ApiPropertyOptional({
    type: String,
    example: 'model,day',
    description: `Comma-separated, any of ${USAGE_GROUPS.join(', ')}; none: one row with the totals. team and end_user read the usage records (kept USAGE_RETENTION_DAYS)`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }): unknown[] =>
    typeof value === 'string'
      ? value.split(',').map((v) => v.trim())
      : Array.isArray(value)
        ? (value as unknown[])
        : [value],
  )
  @IsArray()
  @ArrayMaxSize(USAGE_GROUPS.length * 2)
  @IsIn(USAGE_GROUPS, { each: true, message: `group_by values must be among ${USAGE_GROUPS.join(', ')}` })
  group_by?: UsageGroup[];

  groups(): UsageGroup[] {
    return [...new Set(this.group_by ?? [])];
  }
}

export class UsageQueryDto extends UsageRangeQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this API key' })
  @IsOptional()
  @IsUUID()
  api_key_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only the calls of this team's keys (reads the usage records)" })
  @IsOptional()
  @IsUUID()
  team_id?: string;

  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: 'Only this model (the name usage was recorded under)' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  model?: string;
}

export class UsageCountersDto {
  @ApiProperty({ example: 12 })
  requests: number;

  @ApiProperty({ example: 3400, description: 'Includes cached tokens (OpenAI semantics)' })
  prompt_tokens: number;

  @ApiProperty({ example: 900, description: 'Includes reasoning tokens (OpenAI semantics)' })
  completion_tokens: number;

  @ApiProperty({ example: 1024 })
  cache_read_tokens: number;

  @ApiProperty({ example: 0 })
  cache_write_tokens: number;

  @ApiProperty({ example: 128 })
  reasoning_tokens: number;

  @ApiProperty({ type: String, description: 'USD, decimal string without exponent', example: '0.000123' })
  cost_usd: string;

  @ApiProperty({ example: 0, description: 'Calls whose usage the gateway estimated (the provider reported none)' })
  estimated_requests: number;

  @ApiProperty({ example: 0, description: 'Calls of models without a price (cost 0 unless the provider reported one)' })
  unpriced_requests: number;

  @ApiProperty({ example: 3, description: 'Calls answered from the response cache (billed 0)' })
  cache_hits: number;

  @ApiProperty({
    example: '0.0042',
    description: 'What those cache hits saved: the cost of the answers replayed (USD)',
  })
  saved_usd: string;
}

/** One group: the keys named by `group_by`, then the counters. */
export class UsageRowDto extends UsageCountersDto {
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: 'group_by=api_key' })
  api_key_id?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: "group_by=api_key: the key's current name" })
  api_key_name?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: 'group_by=team' })
  team_id?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: "group_by=team: the team's current name" })
  team_name?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: "group_by=end_user: the request's `user` (OpenAI) or `metadata.user_id` (Anthropic)",
  })
  end_user?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, example: 'gpt-4o-mini', description: 'group_by=model' })
  model?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, example: 'openai-main', description: 'group_by=provider' })
  provider?: string | null;

  @ApiPropertyOptional({ example: '2026-11-23', description: 'group_by=day: the UTC day' })
  day?: string;
}

export class UsageReportDto {
  @ApiProperty({ type: [UsageRowDto] })
  data: UsageRowDto[];

  @ApiProperty({ type: UsageCountersDto, description: 'Sum over every matching record' })
  totals: UsageCountersDto;
}
