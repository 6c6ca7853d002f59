import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withSetupLock } from '#src/core/database/database-setup';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';

/**
 * Re-encrypts stored provider credentials that are in the old `v1` format (no provider binding) or under
 * ENCRYPTION_KEY_PREVIOUS, at every process start, under the setup lock so one process does it. Each row is
 * replaced only if it still holds what was read, so a concurrent admin change is never overwritten.
 */
@Injectable()
export class CredentialUpgradeService implements OnApplicationBootstrap {
  private readonly logger = new Logger(CredentialUpgradeService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderRepository,
    private readonly cipher: CredentialCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
  }

  /** Returns how many rows were re-encrypted. */
  run(): Promise<number> {
    return withSetupLock(this.dataSource, async () => {
      let upgraded = 0;
      for (const row of await this.providers.findAllWithCredentials()) {
        const old = row.credentialsCiphertext!;
        if (!this.cipher.needsUpgrade(old)) continue;
        try {
          const next = this.cipher.encrypt(this.cipher.decrypt(old, row.id), row.id);
          if (await this.providers.replaceCiphertext(row.id, old, next)) upgraded++;
        } catch (err) {
          this.logger.error(
            { provider: row.name, err: { message: (err as Error).message } },
            'credentials not re-encrypted',
          );
        }
      }
      if (upgraded > 0) this.logger.log({ providers: upgraded }, 'provider credentials re-encrypted');
      return upgraded;
    });
  }
}
