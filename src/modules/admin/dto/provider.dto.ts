import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { iso } from '#src/modules/admin/dto/common.dto';
import { IsStringMap, OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import { PROVIDER_TYPES, type ProviderEntity, type ProviderType } from '#src/modules/providers/provider.entity';
import type { ProviderInput } from '#src/modules/providers/provider-management.service';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const CREDENTIALS_DOC = {
  type: 'object',
  additionalProperties: { type: 'string' },
  nullable: true,
  writeOnly: true,
  description:
    'Write-only, stored encrypted, replaced as a whole (null removes them). openai, azure-openai, anthropic: {api_key}; ' +
    'vertex-ai: {service_account_json}; bedrock: {access_key_id, secret_access_key, session_token} or none for the default AWS chain',
  example: { api_key: 'sk-...' },
} as const;
const CONFIG_DOC = {
  type: 'object',
  additionalProperties: true,
  description: 'vertex-ai: {project_id, location}; bedrock: {region}; azure-openai: {api_version}',
  example: {},
} as const;

class ProviderFieldsDto {
  @ApiPropertyOptional({ example: 'https://api.openai.com/v1', nullable: true, type: String })
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @MaxLength(2048)
  base_url?: string | null;

  @ApiPropertyOptional(CREDENTIALS_DOC)
  @IsOptional()
  @IsStringMap(64)
  credentials?: Record<string, string> | null;

  @ApiPropertyOptional({ ...CONFIG_DOC, nullable: true })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown> | null;

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  protected fields(): Partial<ProviderInput> {
    return {
      baseUrl: this.base_url,
      credentials: this.credentials,
      config: this.config === null ? {} : this.config,
      enabled: this.enabled,
    };
  }
}

export class ProviderCreateDto extends ProviderFieldsDto {
  @ApiProperty({ example: 'openai-prod', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name: string;

  @ApiProperty({ enum: PROVIDER_TYPES, example: 'openai' })
  @IsIn(PROVIDER_TYPES)
  type: ProviderType;

  toInput(): ProviderInput {
    return { ...this.fields(), name: this.name, type: this.type };
  }
}

/** PATCH: only the fields sent change; `credentials` are replaced as a whole. */
export class ProviderUpdateDto extends ProviderFieldsDto {
  @ApiPropertyOptional({ example: 'openai-prod', maxLength: 128 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 128)
  name?: string;

  @ApiPropertyOptional({ enum: PROVIDER_TYPES, example: 'openai' })
  @OptionalNonNull()
  @IsIn(PROVIDER_TYPES)
  type?: ProviderType;

  toPatch(): Partial<ProviderInput> {
    return { ...this.fields(), name: this.name, type: this.type };
  }
}

export class ProviderResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'openai-prod' })
  name: string;

  @ApiProperty({ enum: PROVIDER_TYPES, example: 'openai' })
  type: ProviderType;

  @ApiProperty({ example: 'https://api.openai.com/v1', nullable: true, type: String })
  base_url: string | null;

  @ApiProperty({ type: [String], description: 'Names of the stored credential fields', example: ['api_key'] })
  credentials_set: string[];

  @ApiProperty(CONFIG_DOC)
  config: Record<string, unknown>;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  static from(p: ProviderEntity): ProviderResponseDto {
    return {
      id: p.id,
      name: p.name,
      type: p.type,
      base_url: p.baseUrl,
      credentials_set: p.credentialsFields,
      config: p.config,
      enabled: p.enabled,
      created_at: iso(p.createdAt)!,
      updated_at: iso(p.updatedAt)!,
    };
  }
}

export class ProviderListDto {
  @ApiProperty({ type: [ProviderResponseDto] })
  data: ProviderResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}

export class ProviderTestRequestDto {
  @ApiPropertyOptional({
    description: "The model to call (its gateway name); default: the provider's first enabled model",
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;
}

export class ProviderTestErrorDto {
  @ApiProperty({ type: Number, description: 'The HTTP status a client would have got', nullable: true, example: 502 })
  status: number | null;

  @ApiProperty({ example: 'upstream_auth_error' })
  code: string;

  @ApiProperty({ example: "Provider 'openai-main' rejected the gateway's credentials" })
  message: string;
}

export class ProviderTestResultDto {
  @ApiProperty({ description: 'Whether the provider answered the minimal call' })
  ok: boolean;

  @ApiProperty({ description: 'Time until the answer (or the failure), in milliseconds', example: 412 })
  latency_ms: number;

  @ApiProperty({ type: String, description: 'The model that was called', nullable: true, example: 'gpt-4o-mini' })
  model: string | null;

  @ApiPropertyOptional({ type: ProviderTestErrorDto })
  error?: ProviderTestErrorDto;
}
