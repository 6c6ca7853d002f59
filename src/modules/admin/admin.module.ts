import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminAuditInterceptor } from '#src/modules/admin/admin-audit.interceptor';
import { AdminAuditLogRepository } from '#src/modules/admin/admin-audit-log.repository';
import { AdminAuditController } from '#src/modules/admin/controllers/admin-audit.controller';
import { AdminAuthController } from '#src/modules/admin/controllers/admin-auth.controller';
import { AdminUserController } from '#src/modules/admin/controllers/admin-user.controller';
import { AliasController } from '#src/modules/admin/controllers/alias.controller';
import { ApiKeyController } from '#src/modules/admin/controllers/api-key.controller';
import { TeamController } from '#src/modules/admin/controllers/team.controller';
import { WebhookController } from '#src/modules/admin/controllers/webhook.controller';
import { AlertsModule } from '#src/modules/alerts/alerts.module';
import { ModelController } from '#src/modules/admin/controllers/model.controller';
import { ProviderController } from '#src/modules/admin/controllers/provider.controller';
import { ServiceTokenController } from '#src/modules/admin/controllers/service-token.controller';
import { UsageController } from '#src/modules/admin/controllers/usage.controller';
import { AuthModule } from '#src/modules/auth/auth.module';
import { BillingModule } from '#src/modules/billing/billing.module';
import { CatalogModule } from '#src/modules/billing/catalog/catalog.module';
import { KeysModule } from '#src/modules/keys/keys.module';
import { ModelsModule } from '#src/modules/models/models.module';
import { ProvidersModule } from '#src/modules/providers/providers.module';
import { AdminAuditLogEntity } from '#src/modules/admin/admin-audit-log.entity';
import { ProviderConnectionTester } from '#src/modules/admin/provider-connection.tester';

/** The admin API (SPEC §4): controllers and DTOs built on the other modules' services. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AdminAuditLogEntity]),
    AlertsModule,
    AuthModule,
    KeysModule,
    ModelsModule,
    ProvidersModule,
    BillingModule,
    CatalogModule,
  ],
  controllers: [
    AdminAuthController,
    AdminUserController,
    ServiceTokenController,
    ApiKeyController,
    TeamController,
    ProviderController,
    ModelController,
    AliasController,
    WebhookController,
    AdminAuditController,
    UsageController,
  ],
  providers: [AdminAuditLogRepository, AdminAuditInterceptor, ProviderConnectionTester],
  exports: [AdminAuditLogRepository],
})
export class AdminModule {}
