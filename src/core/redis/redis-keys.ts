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

  /**
   * The keys of one API key's limits. A key of a team shares the team's hash tag `{prefix:t:teamId}` (so one
   * admission script checks both on Redis Cluster, SPEC §13); a key without a team has its own `{prefix:k:id}`.
   */
  apiKey(apiKeyId: string, teamId?: string | null): LimitRedisKeys {
    return limitKeys(teamId ? `{${this.prefix}:t:${teamId}}:k:${apiKeyId}` : `{${this.prefix}:k:${apiKeyId}}`);
  }

  /** The limit keys of a budget counter's subject (a key, with its team's tag when it has one, or a team). */
  forPeriod(ref: { type: 'key' | 'team'; id: string; teamId?: string | null }): LimitRedisKeys {
    return ref.type === 'team' ? this.team(ref.id) : this.apiKey(ref.id, ref.teamId);
  }

  /** The keys of one team's limits, under the hash tag its keys share. */
  team(teamId: string): LimitRedisKeys {
    return limitKeys(`{${this.prefix}:t:${teamId}}:team`);
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

function limitKeys(base: string): LimitRedisKeys {
  return {
    requests: `${base}:rpm`,
    tokens: `${base}:tpm`,
    reservations: (period: string) => `${base}:resv:${period}`,
    reservationExpiry: (period: string) => `${base}:resv-exp:${period}`,
    reservedTotal: (period: string) => `${base}:resv-total:${period}`,
    spend: (period: string) => `${base}:spend:${period}`,
    unbilled: (period: string) => `${base}:unbilled:${period}`,
    rebuildLock: (period: string) => `${base}:rebuild:${period}`,
    alerted: (period: string) => `${base}:alerted:${period}`,
  };
}

/** The Redis keys of one budget subject's limits (an API key or a team), by budget period id (budget-period.ts). */
export interface LimitRedisKeys {
  requests: string;
  tokens: string;
  /** The period's open reservations (call id → nanos), their expiry (zset) and their running total. */
  reservations: (period: string) => string;
  reservationExpiry: (period: string) => string;
  reservedTotal: (period: string) => string;
  spend: (period: string) => string;
  unbilled: (period: string) => string;
  rebuildLock: (period: string) => string;
  /** The alert thresholds already crossed in the period (hash: threshold → spend nanos when crossed). */
  alerted: (period: string) => string;
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
