import { Get, Query } from '@nestjs/common';
import { AdminAuditLogRepository } from '#src/modules/admin/admin-audit-log.repository';
import { AdminController, AdminEndpoint } from '#src/modules/admin/admin-endpoint.decorator';
import {
  AdminAuditListDto,
  AdminAuditListQueryDto,
  AdminAuditResponseDto,
} from '#src/modules/admin/dto/admin-audit.dto';

/** Who changed what and when through the admin API (admin role only), newest first. */
@AdminController('audit', 'admin_audit')
export class AdminAuditController {
  constructor(private readonly audit: AdminAuditLogRepository) {}

  @Get()
  @AdminEndpoint({ summary: 'List admin changes, newest first', role: 'admin', response: AdminAuditListDto })
  async listAdminAudit(@Query() query: AdminAuditListQueryDto): Promise<AdminAuditListDto> {
    const [rows, total] = await this.audit.list(
      { resource: query.resource, adminId: query.admin_id },
      query.limit,
      query.offset,
    );
    return { data: rows.map((e) => AdminAuditResponseDto.from(e)), total };
  }
}
