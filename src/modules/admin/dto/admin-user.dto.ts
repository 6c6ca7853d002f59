import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { iso } from '#src/modules/admin/dto/common.dto';
import { OptionalNonNull } from '#src/modules/admin/dto/admin-field.validators';
import { ADMIN_ROLES, type AdminRole, type AdminUserEntity } from '#src/modules/auth/admin-user.entity';
import type { AdminUserInput } from '#src/modules/auth/admin-user-management.service';

const ROLES_DOC = { enum: ADMIN_ROLES, isArray: true, example: ['editor'] } as const;

export class AdminUserCreateDto {
  @ApiProperty({ example: 'jane@example.com', maxLength: 320 })
  @IsEmail({ require_tld: false })
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'a long passphrase', minLength: 8, maxLength: 1024, format: 'password', writeOnly: true })
  @IsString()
  @MinLength(8)
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ example: 'Jane Doe', maxLength: 256, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  display_name?: string | null;

  @ApiProperty(ROLES_DOC)
  @IsArray()
  @ArrayUnique()
  @IsIn(ADMIN_ROLES, { each: true })
  roles: AdminRole[];

  @ApiPropertyOptional({ example: true, default: true })
  @OptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  toInput(): AdminUserInput {
    return {
      email: this.email,
      password: this.password,
      displayName: this.display_name ?? null,
      roles: this.roles,
      enabled: this.enabled,
    };
  }
}

/** PATCH: only the fields sent change; `display_name: null` clears it; `password` sets a new one. */
export class AdminUserUpdateDto {
  @ApiPropertyOptional({ example: 'jane@example.com', maxLength: 320 })
  @OptionalNonNull()
  @IsEmail({ require_tld: false })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ example: 'a new passphrase', minLength: 8, maxLength: 1024, format: 'password' })
  @OptionalNonNull()
  @IsString()
  @MinLength(8)
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ example: 'Jane Doe', maxLength: 256, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  display_name?: string | null;

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

  toPatch(): Partial<AdminUserInput> {
    return {
      email: this.email,
      password: this.password,
      displayName: this.display_name,
      roles: this.roles,
      enabled: this.enabled,
    };
  }
}

export class AdminUserResponseDto {
  @ApiProperty({ format: 'uuid', example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  id: string;

  @ApiProperty({ example: 'jane@example.com' })
  email: string;

  @ApiProperty({ example: 'Jane Doe', nullable: true, type: String })
  display_name: string | null;

  @ApiProperty(ROLES_DOC)
  roles: AdminRole[];

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  updated_at: string;

  static from(u: AdminUserEntity): AdminUserResponseDto {
    return {
      id: u.id,
      email: u.email,
      display_name: u.displayName,
      roles: u.roles,
      enabled: u.enabled,
      created_at: iso(u.createdAt)!,
      updated_at: iso(u.updatedAt)!,
    };
  }
}

export class AdminUserListDto {
  @ApiProperty({ type: [AdminUserResponseDto] })
  data: AdminUserResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
