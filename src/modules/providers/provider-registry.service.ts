import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { AppConfig } from '#src/core/config/app-config';
import { AddressPolicy } from '#src/core/net/address-guard';
import { createAdapter } from '#src/modules/providers/adapters/provider-factory';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';
import type { ProviderAdapter } from '#src/modules/providers/provider-adapter';
import { ProviderRepository } from '#src/modules/providers/provider.repository';

export interface RegisteredProvider {
  id: string;
  name: string;
  type: string;
  adapter: ProviderAdapter;
}

/** Old adapters close after this, so calls that started on them finish. */
const RETIRE_AFTER_MS = 15 * 60_000;

/**
 * Every enabled provider with a live adapter, built from the database with decrypted credentials.
 * Reloaded every PROVIDER_RELOAD_INTERVAL and at once when an admin change is announced; a reload swaps
 * the whole map, and replaced adapters close later so in-flight calls are not cut.
 */
@Injectable()
export class ProviderRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ProviderRegistry.name);
  private providers = new Map<string, RegisteredProvider>();
  private loading: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private stale = true;
  private reloadTimer?: NodeJS.Timeout;
  private readonly retiring = new Set<NodeJS.Timeout>();
  private readonly retired: ProviderAdapter[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ProviderRepository,
    private readonly cipher: CredentialCipher,
    invalidation: CacheInvalidationService,
  ) {
    invalidation.on('providers', () => {
      this.stale = true;
      this.reload().catch((err: unknown) => this.logger.error({ err }, 'provider reload failed'));
    });
  }

  async onModuleInit(): Promise<void> {
    await this.reload().catch((err: unknown) =>
      this.logger.error({ err }, 'initial provider load failed; retrying on first use'),
    );
    this.reloadTimer = setInterval(() => {
      this.reload().catch((err: unknown) => this.logger.error({ err }, 'periodic provider reload failed'));
    }, this.config.env.PROVIDER_RELOAD_INTERVAL);
    this.reloadTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.reloadTimer);
    for (const t of this.retiring) clearTimeout(t);
    const adapters = [...[...this.providers.values()].map((p) => p.adapter), ...this.retired];
    this.providers.clear();
    await Promise.allSettled(adapters.map((a) => a.close()));
  }

  /** The provider's adapter, reloading first if an admin change or the reload interval made the map stale. */
  async get(providerId: string): Promise<RegisteredProvider | undefined> {
    if (this.stale) await this.reload();
    return this.providers.get(providerId);
  }

  /**
   * Resolves once a load that started after this call has finished: a load already running may have read the
   * rows before the change this reload is for, so one more follows it (concurrent callers share that one).
   */
  reload(): Promise<void> {
    if (this.loading) {
      this.queued ??= this.loading
        .catch(() => undefined)
        .then(() => {
          this.queued = null;
          return this.reload();
        });
      return this.queued;
    }
    this.loading = this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    this.stale = false;
    // an invalidation arriving while this load runs sets `stale` again, so the next call reloads once more
    const timeouts = {
      connectMs: this.config.env.UPSTREAM_CONNECT_TIMEOUT,
      idleMs: this.config.env.UPSTREAM_TIMEOUT,
      maxResponseBytes: this.config.env.UPSTREAM_MAX_RESPONSE_BYTES,
      addressPolicy: new AddressPolicy(this.config.providerAllowPrivateUrls),
    };
    const next = new Map<string, RegisteredProvider>();
    for (const row of await this.repository.findAllEnabled()) {
      try {
        const credentials = row.credentialsCiphertext ? this.cipher.decrypt(row.credentialsCiphertext, row.id) : {};
        const adapter = createAdapter(
          { id: row.id, name: row.name, type: row.type, baseUrl: row.baseUrl, credentials, config: row.config },
          timeouts,
        );
        next.set(row.id, { id: row.id, name: row.name, type: row.type, adapter });
      } catch (err) {
        this.logger.error(
          { provider: row.name, err: { message: (err as Error).message } },
          'provider could not be loaded',
        );
      }
    }
    const previous = [...this.providers.values()];
    this.providers = next;
    if (previous.length > 0) this.retire(previous.map((p) => p.adapter));
  }

  private retire(adapters: ProviderAdapter[]): void {
    this.retired.push(...adapters);
    const timer = setTimeout(() => {
      this.retiring.delete(timer);
      for (const a of adapters) {
        this.retired.splice(this.retired.indexOf(a), 1);
        void a.close().catch(() => undefined);
      }
    }, RETIRE_AFTER_MS);
    timer.unref();
    this.retiring.add(timer);
  }
}
