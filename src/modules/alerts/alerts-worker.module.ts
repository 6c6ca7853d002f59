import { Module } from '@nestjs/common';
import { AlertDeliveryService } from '#src/modules/alerts/alert-delivery.service';
import { AlertsModule } from '#src/modules/alerts/alerts.module';
import { AlertsProcessor } from '#src/modules/alerts/alerts.processor';
import { KeyExpiryScheduler } from '#src/modules/alerts/key-expiry-scheduler.service';
import { KeyExpiryService } from '#src/modules/alerts/key-expiry.service';
import { WebhookSender } from '#src/modules/alerts/webhook-sender';
import { KeysModule } from '#src/modules/keys/keys.module';

/** The alerts processor (fan-out, deliveries, the key expiry scan); registering this module is what runs it. */
@Module({
  imports: [AlertsModule, KeysModule],
  providers: [AlertsProcessor, AlertDeliveryService, WebhookSender, KeyExpiryService, KeyExpiryScheduler],
})
export class AlertsWorkerModule {}
