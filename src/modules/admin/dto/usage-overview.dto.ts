import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { UsageRangeDto } from '#src/modules/admin/dto/usage.dto';
import type { OverviewBucket } from '#src/modules/billing/usage-overview.repository';

/** The longest range the overview charts, so one request cannot ask for a year of hourly buckets. */
export const OVERVIEW_MAX_DAYS = 93;

export class UsageOverviewQueryDto extends UsageRangeDto {
  @ApiPropertyOptional({
    enum: ['hour', 'day'],
    description: 'Bucket size; default hour for ranges up to two days, else day',
  })
  @IsOptional()
  @IsIn(['hour', 'day'])
  bucket?: OverviewBucket;

  @ApiPropertyOptional({ format: 'uuid', description: "Only this API key's calls (its page in the console)" })
  @IsOptional()
  @IsUUID()
  api_key_id?: string;
}

export class OverviewStatsDto {
  @ApiProperty({ example: 120 })
  requests: number;

  @ApiProperty({ example: 3, description: 'Calls answered with a status of 400 or more (refusals included)' })
  errors: number;

  @ApiProperty({ type: String, example: '0.0421', description: 'USD, decimal string' })
  cost_usd: string;

  @ApiProperty({ type: Number, nullable: true, example: 640 })
  p50_latency_ms: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 2210 })
  p95_latency_ms: number | null;
}

export class OverviewPointDto extends OverviewStatsDto {
  @ApiProperty({ example: '2026-12-06T07:00:00Z', description: "The bucket's start (UTC)" })
  t: string;
}

export class OverviewTopDto {
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'top_keys: the key id; top_teams: the team id',
  })
  id?: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'checkout-service' })
  name: string | null;

  @ApiProperty({ example: 42 })
  requests: number;

  @ApiProperty({ type: String, example: '0.0123' })
  cost_usd: string;
}

export class UsageOverviewDto {
  @ApiProperty({ example: '2026-12-05T08:00:00.000Z' })
  from: string;

  @ApiProperty({ example: '2026-12-06T08:00:00.000Z' })
  to: string;

  @ApiProperty({ enum: ['hour', 'day'] })
  bucket: OverviewBucket;

  @ApiProperty({ type: [OverviewPointDto], description: 'Buckets with at least one call, oldest first' })
  series: OverviewPointDto[];

  @ApiProperty({ type: OverviewStatsDto })
  totals: OverviewStatsDto;

  @ApiProperty({ type: [OverviewTopDto], description: 'The five keys with the highest cost' })
  top_keys: OverviewTopDto[];

  @ApiProperty({ type: [OverviewTopDto], description: 'The five models with the highest cost' })
  top_models: OverviewTopDto[];

  @ApiProperty({
    type: [OverviewTopDto],
    description: "The five teams with the highest cost (the team a call's key was in when it was made)",
  })
  top_teams: OverviewTopDto[];
}
