import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS, SUBSCRIBER_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';

/** What an admin change can make stale. `all` is sent when a pod cannot know what it missed. */
export type CacheKind = 'api_keys' | 'models' | 'providers' | 'admins' | 'all';
type Listener = () => void;

/**
 * Drops cached keys, models, aliases, providers and admins on every pod after an admin change:
 * published on one Redis channel, applied locally at once, and by other pods within a second while they
 * are subscribed. A pod whose subscriber reconnects drops everything, since it may have missed messages;
 * every cache also has a TTL (CACHE_TTL), the bound when pub/sub is down.
 */
@Injectable()
export class CacheInvalidationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CacheInvalidationService.name);
  private readonly listeners = new Map<CacheKind, Listener[]>();
  private readonly channel: string;
  private connectedOnce = false;

  constructor(
    @Inject(HOT_REDIS) private readonly publisher: RedisClient,
    @Inject(SUBSCRIBER_REDIS) private readonly subscriber: RedisClient,
    keys: RedisKeys,
  ) {
    this.channel = keys.invalidationChannel();
  }

  onModuleInit(): void {
    this.connectedOnce = this.subscriber.status === 'ready';
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('ready', this.onReady);
    this.subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.logger.warn({ err }, 'cache invalidation subscribe failed; caches rely on CACHE_TTL until it reconnects');
    });
  }

  onModuleDestroy(): void {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
  }

  /** Registers a cache to drop on `kind` (and on `all`). */
  on(kind: Exclude<CacheKind, 'all'>, listener: Listener): void {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), listener]);
  }

  /** Drops `kind` here and tells every other pod. A failed publish is logged: CACHE_TTL still bounds staleness. */
  async invalidate(kind: CacheKind): Promise<void> {
    this.apply(kind);
    try {
      await this.publisher.publish(this.channel, kind);
    } catch (err) {
      this.logger.warn({ err, kind }, 'cache invalidation publish failed; other pods catch up within CACHE_TTL');
    }
  }

  private readonly onMessage = (channel: string, message: string): void => {
    if (channel === this.channel) this.apply(message as CacheKind);
  };

  /** ioredis re-subscribes on reconnect; every `ready` after the first means messages may have been missed. */
  private readonly onReady = (): void => {
    if (this.connectedOnce) {
      this.logger.log('cache invalidation subscriber reconnected; dropping all caches');
      this.apply('all');
    }
    this.connectedOnce = true;
  };

  private apply(kind: CacheKind): void {
    const kinds = kind === 'all' ? [...this.listeners.keys()] : [kind];
    for (const k of kinds) for (const listener of this.listeners.get(k) ?? []) listener();
  }
}
