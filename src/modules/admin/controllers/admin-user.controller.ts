import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import {
  AdminUserCreateDto,
  AdminUserListDto,
  AdminUserResponseDto,
  AdminUserUpdateDto,
} from '#src/modules/admin/dto/admin-user.dto';
import { PaginationQueryDto } from '#src/modules/admin/dto/common.dto';
import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { AdminUsersException } from '#src/modules/auth/auth.exception';

/** Human admins (admin role only). The last enabled admin cannot be disabled, downgraded or deleted. */
@AdminController('users', 'admin_user')
export class AdminUserController {
  constructor(
    private readonly users: AdminUserRepository,
    private readonly management: AdminUserManagementService,
  ) {}

  @Post()
  @AdminEndpoint({
    summary: 'Create an admin user',
    role: 'admin',
    status: 201,
    response: AdminUserResponseDto,
    audit: 'create',
    errors: [409],
  })
  async createAdminUser(@Body() body: AdminUserCreateDto): Promise<AdminUserResponseDto> {
    return AdminUserResponseDto.from(await this.management.create(body.toInput()));
  }

  @Get()
  @AdminEndpoint({ summary: 'List admin users', role: 'admin', response: AdminUserListDto })
  async listAdminUsers(@Query() query: PaginationQueryDto): Promise<AdminUserListDto> {
    const [rows, total] = await this.users.list(query.limit, query.offset);
    return { data: rows.map((u) => AdminUserResponseDto.from(u)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get an admin user', role: 'admin', response: AdminUserResponseDto, errors: [404] })
  async getAdminUser(@IdParam() id: string): Promise<AdminUserResponseDto> {
    const user = await this.users.findById(id);
    if (!user) throw AdminUsersException.notFound(id);
    return AdminUserResponseDto.from(user);
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change an admin user (roles, enabled, password, ...)',
    role: 'admin',
    response: AdminUserResponseDto,
    audit: 'update',
    errors: [404, 409],
  })
  async updateAdminUser(@IdParam() id: string, @Body() body: AdminUserUpdateDto): Promise<AdminUserResponseDto> {
    return AdminUserResponseDto.from(await this.management.update(id, body.toPatch()));
  }

  @Delete(':id')
  @AdminEndpoint({ summary: 'Delete an admin user', role: 'admin', status: 204, audit: 'delete', errors: [404, 409] })
  async deleteAdminUser(@IdParam() id: string): Promise<void> {
    await this.management.delete(id);
  }
}
