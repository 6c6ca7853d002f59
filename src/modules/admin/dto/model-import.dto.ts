import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, IsUUID, Length } from 'class-validator';

/**
 * `POST /admin/models/import`: `{catalog}` or `{url}`, with an optional `provider_id`. The raw catalog object
 * itself is accepted too (any body without a top-level `catalog` or `url` key), its provider in
 * `?provider_id=` or a top-level `provider_id` string.
 */
export class ModelImportDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'A LiteLLM catalog (model_prices_and_context_window.json): model name → entry',
    example: { 'gpt-4o-mini': { litellm_provider: 'openai', input_cost_per_token: 1.5e-7 } },
  })
  @IsOptional()
  @IsObject()
  catalog?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json',
    description: 'http(s), answered within 30 s, under 20 MB; private addresses need CATALOG_ALLOW_PRIVATE_URLS',
  })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  url?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Import only the entries of this provider type and attach them to it; none: price-only models',
  })
  @IsOptional()
  @IsUUID()
  provider_id?: string;
}

export class ModelImportQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The provider, when the body is the raw catalog' })
  @IsOptional()
  @IsUUID()
  provider_id?: string;
}

export class ModelImportResultDto {
  @ApiProperty({ example: 180, description: 'Models created' })
  created: number;

  @ApiProperty({ example: 12, description: 'Existing models whose prices, limits and capabilities were replaced' })
  updated: number;

  @ApiProperty({ example: 26, description: 'Entries not imported (sum of skipped_by_reason)' })
  skipped: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { provider_mismatch: 25, sample_spec: 1 },
    description:
      'sample_spec, provider_mismatch, name_is_alias, other_provider (the name belongs to another provider), invalid_entry, invalid_name, invalid_price',
  })
  skipped_by_reason: Record<string, number>;

  @ApiProperty({
    type: [String],
    example: [],
    description: 'Price-like keys on neither the mapping table nor the metadata list (kept in metadata.litellm)',
  })
  unknown_price_keys: string[];

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  provider_id: string | null;
}
