import { Module } from '@nestjs/common';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { BootstrapAdminService } from '#src/modules/auth/bootstrap-admin.service';

@Module({
  providers: [AdminUserRepository, BootstrapAdminService],
  exports: [AdminUserRepository, BootstrapAdminService],
})
export class AuthModule {}
