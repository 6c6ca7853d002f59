import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withSetupLock } from '#src/core/database/database-setup';
import { WebhookRepository } from '#src/modules/alerts/webhook.repository';
import { WebhookSecrets } from '#src/modules/alerts/webhook-secrets';

/**
 * Re-encrypts webhook secrets still under ENCRYPTION_KEY_PREVIOUS at every process start (under the setup lock, so
 * one process does it), as CredentialUpgradeService does for provider credentials: after a rotation the previous key
 * can be dropped. A row is replaced only if it still holds what was read.
 */
@Injectable()
export class WebhookSecretUpgradeService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookSecretUpgradeService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookRepository,
    private readonly secrets: WebhookSecrets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
  }

  /** Returns how many secrets were re-encrypted. */
  run(): Promise<number> {
    return withSetupLock(this.dataSource, async () => {
      let upgraded = 0;
      for (const row of await this.webhooks.findAllWithSecret()) {
        const old = row.secretCiphertext!;
        if (!this.secrets.needsUpgrade(old)) continue;
        try {
          const next = this.secrets.encrypt(row.id, this.secrets.decrypt(row.id, old));
          if (await this.webhooks.replaceSecretCiphertext(row.id, old, next)) upgraded++;
        } catch (err) {
          this.logger.error({ webhookId: row.id, err: { message: (err as Error).message } }, 'secret not re-encrypted');
        }
      }
      if (upgraded > 0) this.logger.log({ webhooks: upgraded }, 'webhook secrets re-encrypted');
      return upgraded;
    });
  }
}
