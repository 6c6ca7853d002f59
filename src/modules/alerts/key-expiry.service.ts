import { Injectable, Logger } from '@nestjs/common';
import { AlertPublisher } from '#src/modules/alerts/alert-publisher.service';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';

const DAY_MS = 86_400_000;

/** The `key.expiring` windows, smallest first: an event fires once a key's expiry is this close. */
const WINDOWS = [
  { name: '1d', ms: DAY_MS },
  { name: '7d', ms: 7 * DAY_MS },
] as const;

/**
 * `key.expiring` (SPEC §13): each usable key expiring within 7 days gets the event of the smallest window it is in
 * (7 days, then 1 day). The event id names the key, the window and the expiry, so a scan repeated every hour, on any
 * number of workers, sends each window once, and a new `expires_at` starts over.
 */
@Injectable()
export class KeyExpiryService {
  private readonly logger = new Logger(KeyExpiryService.name);

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly alerts: AlertPublisher,
  ) {}

  /** Answers how many events were published (already published ones count again, and add nothing). */
  async scan(now = new Date()): Promise<number> {
    const keys = await this.keys.findExpiringBetween(now, new Date(now.getTime() + 7 * DAY_MS));
    for (const key of keys) {
      const expiresAt = key.expiresAt!;
      const window = WINDOWS.find((w) => expiresAt.getTime() - now.getTime() <= w.ms)!;
      await this.alerts.publish({
        id: `key.expiring:${key.id}:${window.name}:${expiresAt.getTime()}`,
        type: 'key.expiring',
        created_at: now.toISOString(),
        data: { subject: { type: 'key', id: key.id, name: key.name }, expires_at: expiresAt.toISOString() },
      });
    }
    if (keys.length > 0) this.logger.log({ keys: keys.length }, 'key.expiring events published');
    return keys.length;
  }
}
