import type { AppConfig } from '#src/core/config/app-config';

/**
 * Every Redis key and channel name the gateway uses, all under REDIS_PREFIX. Keys that one Lua script
 * touches together share a `{hash tag}` so the script works on Redis Cluster.
 */
export class RedisKeys {
  readonly prefix: string;
  /** BullMQ's own prefix, hash-tagged so each queue's keys land in one Cluster slot. */
  readonly bullPrefix: string;

  constructor(config: AppConfig) {
    this.prefix = config.env.REDIS_PREFIX;
    this.bullPrefix = `{${this.prefix}}:bull`;
  }

  /** Which key (and model) created a stored response passed through to OpenAI (`/v1/responses/{id}`). */
  responseOwner(responseId: string): string {
    return `${this.prefix}:resp:${responseId}`;
  }

  /** A console sign-in, by the SHA-256 of its cookie (the cookie itself is never stored). */
  consoleSession(digest: string): string {
    return `${this.prefix}:ui-session:${digest}`;
  }

  /** A routing target's recent retryable failures (SPEC §11). */
  targetFailures(modelId: string): string {
    return `${this.prefix}:rt:fail:${modelId}`;
  }

  /** A routing target's cooldown: present (holding its end, ms) while every pod skips the target. */
  targetCooldown(modelId: string): string {
    return `${this.prefix}:rt:cool:${modelId}`;
  }

  /** A model's requests in the last minute on its provider account (SPEC §11); `{prefix:q:model}` hash tag. */
  quotaRequests(modelId: string): string {
    return `{${this.prefix}:q:${modelId}}:rpm`;
  }

  /** A model's tokens per second over the last minute on its provider account. */
  quotaTokens(modelId: string): string {
    return `{${this.prefix}:q:${modelId}}:tpm`;
  }

  /** A cached answer (SPEC §14), by the SHA-256 of its scope, model, API and canonical request. */
  responseCache(digest: string): string {
    return `${this.prefix}:rc:${digest}`;
  }

  invalidationChannel(): string {
    return `${this.prefix}:cache:invalidate`;
  }

  /** The keys of one API key's limits; `{prefix:apiKeyId}` is the hash tag. */
  apiKey(apiKeyId: string): ApiKeyRedisKeys {
    const tag = `{${this.prefix}:k:${apiKeyId}}`;
    return {
      requests: `${tag}:rpm`,
      tokens: `${tag}:tpm`,
      reservations: (month: string) => `${tag}:resv:${month}`,
      reservationExpiry: (month: string) => `${tag}:resv-exp:${month}`,
      reservedTotal: (month: string) => `${tag}:resv-total:${month}`,
      spend: (month: string) => `${tag}:spend:${month}`,
      unbilled: (month: string) => `${tag}:unbilled:${month}`,
      rebuildLock: (month: string) => `${tag}:rebuild:${month}`,
    };
  }

  auditBuffer(): string {
    return `{${this.prefix}:audit}:buffer`;
  }

  auditBatch(batchId: string): string {
    return `{${this.prefix}:audit}:batch:${batchId}`;
  }

  /** Each taken batch's lease token, record count and bytes, as `<batch id>:token|count|bytes` fields. */
  auditBatchMeta(): string {
    return `{${this.prefix}:audit}:batch-meta`;
  }

  /** Bytes of the audit records held in Redis: the buffer plus the batches not yet stored. */
  auditBytes(): string {
    return `{${this.prefix}:audit}:bytes`;
  }

  auditInflight(): string {
    return `{${this.prefix}:audit}:inflight`;
  }

  auditDropped(): string {
    return `{${this.prefix}:audit}:dropped`;
  }

  /** Marks one applied push of records to the audit buffer, so a retried push is not applied twice. */
  auditPushMarker(pushId: string): string {
    return `{${this.prefix}:audit}:push:${pushId}`;
  }

  /** The periodic budget reconcile's lock (one pod at a time). */
  budgetReconcileLock(): string {
    return `${this.prefix}:budget-reconcile`;
  }

  /** Failed logins of one account from one client address (bucket); tagged by the address bucket. */
  loginFailures(account: string, addressBucket: string): string {
    return `{${this.prefix}:login:${addressBucket}}:acct:${account}`;
  }

  /** Failed logins from one client address (bucket) across all accounts; same hash tag as loginFailures. */
  loginAddressFailures(addressBucket: string): string {
    return `{${this.prefix}:login:${addressBucket}}:all`;
  }
}

export interface ApiKeyRedisKeys {
  requests: string;
  tokens: string;
  /** The month's open reservations (call id → nanos), their expiry (zset) and their running total. */
  reservations: (month: string) => string;
  reservationExpiry: (month: string) => string;
  reservedTotal: (month: string) => string;
  spend: (month: string) => string;
  unbilled: (month: string) => string;
  rebuildLock: (month: string) => string;
}
