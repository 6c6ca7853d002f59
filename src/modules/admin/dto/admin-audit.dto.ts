import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { AdminAuditLogEntity } from '#src/modules/admin/admin-audit-log.entity';
import { iso, PaginationQueryDto } from '#src/modules/admin/dto/common.dto';

export class AdminAuditListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'Only changes to this resource', example: 'api_key' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  resource?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only changes by this admin user or service token' })
  @IsOptional()
  @IsUUID()
  admin_id?: string;
}

export class AdminAuditResponseDto {
  @ApiProperty({ example: '42' })
  id: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  admin_id: string | null;

  @ApiProperty({
    enum: ['user', 'service', 'sso'],
    description: '`sso`: made by a sign-in through the identity provider (a user created, linked or given its roles)',
    example: 'user',
  })
  admin_type: string;

  @ApiProperty({ nullable: true, type: String, description: 'Email or service name', example: 'ops@example.com' })
  admin_name: string | null;

  @ApiProperty({ example: 'update', description: 'create, update, delete, regenerate or revoke' })
  action: string;

  @ApiProperty({ example: 'api_key' })
  resource: string;

  @ApiProperty({ nullable: true, type: String, example: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' })
  resource_id: string | null;

  @ApiProperty({
    type: [String],
    description: 'Names of the fields the request set (never values)',
    example: ['rate_limit'],
  })
  fields: string[];

  @ApiProperty({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })
  created_at: string;

  static from(e: AdminAuditLogEntity): AdminAuditResponseDto {
    const fields = (e.details as { fields?: unknown }).fields;
    return {
      id: String(e.id),
      admin_id: e.adminId,
      admin_type: e.adminType,
      admin_name: e.adminName,
      action: e.action,
      resource: e.resource,
      resource_id: e.resourceId,
      fields: Array.isArray(fields) ? fields.map(String) : [],
      created_at: iso(e.createdAt)!,
    };
  }
}

export class AdminAuditListDto {
  @ApiProperty({ type: [AdminAuditResponseDto] })
  data: AdminAuditResponseDto[];

  @ApiProperty({ example: 1 })
  total: number;
}
