import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { iso } from '#src/modules/admin/dto/common.dto';
import { OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import type { AdminTokenEntity } from '#src/modules/auth/admin-token.entity';
import { ADMIN_ROLES, type AdminRole } from '#src/modules/auth/admin-user.entity';
import type { ServiceTokenInput } from '#src/modules/auth/service-token-management.service';

const ROLES_DOC = { enum: ADMIN_ROLES, isArray: true, example: ['editor'] } as const;
const SERVICE_NAME_RE = /^[A-Za-z0-9._:@-]+$/;
const SERVICE_NAME_MESSAGE = 'service_name may contain letters, digits and . _ : @ -';
const date = (v: string | null | undefined): Date | null | undefined => (v ? new Date(v) : (v as null | undefined));

export class ServiceTokenCreateDto {
  @ApiProperty({ example: 'deploy-bot', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(SERVICE_NAME_RE, { message: SERVICE_NAME_MESSAGE })
  service_name: string;

  @ApiProperty(ROLES_DOC)
  @IsArray()
  @ArrayUnique()
  @IsIn(ADMIN_ROLES, { each: true })
  roles: AdminRole[];

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String, example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string | null;

  toInput(): ServiceTokenInput {
    return {
      serviceName: this.service_name,
      roles: this.roles,
      enabled: this.enabled,
      expiresAt: date(this.expires_at) ?? null,
    };
  }
}

/** PATCH: only the fields sent change; `expires_at: null` removes the expiry. The token itself never changes. */
export class ServiceTokenUpdateDto {
  @ApiPropertyOptional({ example: 'deploy-bot', maxLength: 128 })
  @OptionalNonNull()
  @IsString()
  @Length(1, 128)
  @Matches(SERVICE_NAME_RE, { message: SERVICE_NAME_MESSAGE })
  service_name?: string;

  @ApiPropertyOptional(ROLES_DOC)
  @OptionalNonNull()
  @IsArray()
  @ArrayUnique()
  @IsIn(ADMIN_ROLES, { each: true })
  roles?: AdminRole[];

  @ApiPropertyOptional({ example: false })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String, example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string | null;

  toPatch(): Partial<ServiceTokenInput> {
    return {
      serviceName: this.service_name,
      roles: this.roles,
      enabled: this.enabled,
      expiresAt: date(this.expires_at),
    };
  }
}

export class ServiceTokenResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'deploy-bot' })
  service_name: string;

  @ApiProperty(ROLES_DOC)
  roles: AdminRole[];

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-01-01T00:00:00.000Z' })
  expires_at: string | null;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  static from(t: AdminTokenEntity): ServiceTokenResponseDto {
    return {
      id: t.id,
      service_name: t.serviceName,
      roles: t.roles,
      enabled: t.enabled,
      expires_at: iso(t.expiresAt),
      created_at: iso(t.createdAt)!,
      updated_at: iso(t.updatedAt)!,
    };
  }
}

/** The create answer: the only time the plaintext token is shown. */
export class ServiceTokenCreatedDto extends ServiceTokenResponseDto {
  @ApiProperty({ description: 'The plaintext token, shown only here', example: 'gwst_4Jp0...' })
  token: string;
}

export class ServiceTokenListDto {
  @ApiProperty({ type: [ServiceTokenResponseDto] })
  data: ServiceTokenResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
