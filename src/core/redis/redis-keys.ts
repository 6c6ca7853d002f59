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

  /** An SSO sign-in in progress (nonce, PKCE verifier, browser binding), by the SHA-256 of its `state`. */
  oidcLogin(digest: string): string {
    return `${this.prefix}:oidc-login:${digest}`;
  }

  /** SSO sign-ins started from one client address (bucket) in the current window. */
  oidcLoginStarts(addressBucket: string): string {
    return `${this.prefix}:oidc-starts:${addressBucket}`;
  }

  /**
   * The live state of a routing target (SPEC §11): recent failures, cooldown, calls in flight, latency average and
   * its provider quota's windows. One `{prefix:rt}` hash tag for every target, so the routing script (which reads
   * all of an alias's targets) runs on Redis Cluster.
   */
  target(modelId: string): TargetRedisKeys {
    const base = `{${this.prefix}:rt}:${modelId}`;
    return {
      failures: `${base}:fail`,
      cooldown: `${base}:cool`,
      busy: `${base}:busy`,
      latency: `${base}:lat`,
      quotaRequests: `${base}:rpm`,
      quotaTokens: `${base}:tpm`,
    };
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

export interface TargetRedisKeys {
  /** Retryable failures in the last minute (zset by Redis time). */
  failures: string;
  /** Present, holding its end (ms), while every pod skips the target. */
  cooldown: string;
  /** Routed calls in flight on the target (zset by start). */
  busy: string;
  /** Decaying time-to-first-byte average (hash: v ms, t last sample). */
  latency: string;
  /** The provider account's requests in the last minute (zset). */
  quotaRequests: string;
  /** The provider account's tokens per second over the last minute (hash). */
  quotaTokens: string;
}
