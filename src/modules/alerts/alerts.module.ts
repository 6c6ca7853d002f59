import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertPublisher } from '#src/modules/alerts/alert-publisher.service';
import { WebhookDeliveryEntity } from '#src/modules/alerts/webhook-delivery.entity';
import { WebhookDeliveryRepository } from '#src/modules/alerts/webhook-delivery.repository';
import { WebhookEntity } from '#src/modules/alerts/webhook.entity';
import { WebhookManagementService } from '#src/modules/alerts/webhook-management.service';
import { WebhookRepository } from '#src/modules/alerts/webhook.repository';
import { WebhookSecrets } from '#src/modules/alerts/webhook-secrets';
import { WebhookSecretUpgradeService } from '#src/modules/alerts/webhook-secret-upgrade.service';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';

/**
 * Alerts (SPEC §13), shared by both processes: `AlertPublisher` for whoever raises an alert (proxy, limits, worker
 * scans), and the webhooks with their deliveries for the admin API. AlertsWorkerModule runs the deliveries.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEntity, WebhookDeliveryEntity])],
  providers: [
    AlertPublisher,
    WebhookRepository,
    WebhookDeliveryRepository,
    WebhookManagementService,
    WebhookSecrets,
    WebhookSecretUpgradeService,
    // stateless (ENCRYPTION_KEY only): provided here too rather than pulling the providers' registry into the worker
    CredentialCipher,
  ],
  exports: [AlertPublisher, WebhookRepository, WebhookDeliveryRepository, WebhookManagementService, WebhookSecrets],
})
export class AlertsModule {}
