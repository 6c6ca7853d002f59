import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '#src/core/config/app-config';
import { AdminAuthGuard } from '#src/modules/auth/admin-auth.guard';
import { ADMIN_JWT_AUDIENCE, AdminAuthService, jwtLifetimeSeconds } from '#src/modules/auth/admin-auth.service';
import { AdminJwtStrategy } from '#src/modules/auth/admin-jwt.strategy';
import { AdminPrincipalService } from '#src/modules/auth/admin-principal.service';
import { AdminTokenRepository } from '#src/modules/auth/admin-token.repository';
import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { BootstrapAdminService } from '#src/modules/auth/bootstrap-admin.service';
import { ConsoleSessionStore } from '#src/modules/auth/console-session.store';
import { LoginThrottle } from '#src/modules/auth/login-throttle.service';
import { PasswordVerifier } from '#src/modules/auth/password-verifier.service';
import { ServiceTokenManagementService } from '#src/modules/auth/service-token-management.service';
import { AdminUserEntity } from '#src/modules/auth/admin-user.entity';
import { AdminTokenEntity } from '#src/modules/auth/admin-token.entity';

const EXPORTED = [
  AdminUserRepository,
  AdminTokenRepository,
  BootstrapAdminService,
  AdminAuthService,
  AdminPrincipalService,
  AdminAuthGuard,
  AdminUserManagementService,
  ServiceTokenManagementService,
  ConsoleSessionStore,
  LoginThrottle,
];

/**
 * Admin identities: users and service tokens, their login (JWT), the admin guard and the bootstrap. The admin
 * guard is registered globally, so a route without a role or `@Public()` is closed, not open.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([AdminUserEntity, AdminTokenEntity]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256', audience: ADMIN_JWT_AUDIENCE, expiresIn: jwtLifetimeSeconds(config) },
        verifyOptions: { algorithms: ['HS256'], audience: ADMIN_JWT_AUDIENCE },
      }),
    }),
  ],
  providers: [...EXPORTED, AdminJwtStrategy, PasswordVerifier, { provide: APP_GUARD, useExisting: AdminAuthGuard }],
  exports: EXPORTED,
})
export class AuthModule {}
