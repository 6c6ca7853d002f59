import { AdminAuditLogEntity } from '#src/modules/admin/admin-audit-log.entity';
import { AdminTokenEntity } from '#src/modules/auth/admin-token.entity';
import { AdminUserEntity } from '#src/modules/auth/admin-user.entity';
import { BudgetSpendEntity } from '#src/modules/billing/budget-spend.entity';
import { WebhookDeliveryEntity } from '#src/modules/alerts/webhook-delivery.entity';
import { WebhookEntity } from '#src/modules/alerts/webhook.entity';
import { UsageDailyEntity } from '#src/modules/billing/usage-daily.entity';
import { UsageRecordEntity } from '#src/modules/billing/usage-record.entity';
import { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { KeyMetadataEntity } from '#src/modules/keys/key-metadata.entity';
import { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import { ModelEntity } from '#src/modules/models/model.entity';
import { PricingComponentEntity } from '#src/modules/models/pricing-component.entity';
import { ProviderEntity } from '#src/modules/providers/provider.entity';
import { TeamEntity } from '#src/modules/teams/team.entity';

/**
 * Every entity of the schema, for the DataSources built outside Nest (CLI migrate, database preparation, tests)
 * and the check that the migrations leave nothing for the entities to change. Inside Nest, each feature module
 * registers its own entities (`TypeOrmModule.forFeature`); a test proves both lists agree.
 */
export const ENTITIES = [
  ProviderEntity,
  ModelEntity,
  PricingComponentEntity,
  ModelAliasEntity,
  ApiKeyEntity,
  KeyMetadataEntity,
  AdminUserEntity,
  AdminTokenEntity,
  AdminAuditLogEntity,
  UsageRecordEntity,
  UsageDailyEntity,
  BudgetSpendEntity,
  TeamEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
];
