import { Inject, Injectable, Logger } from '@nestjs/common';
import { RedisKeys } from '#src/core/redis/redis-keys';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';

/** How long a created response stays reachable through the gateway: OpenAI keeps stored responses 30 days. */
const OWNER_TTL_S = 30 * 24 * 3600;

export interface ResponseOwner {
  keyId: string;
  /** The alias or model name the response was created with: where to find it again. */
  model: string;
}

/**
 * Remembers which API key created each response passed through to OpenAI, so `previous_response_id` and
 * `GET`/`DELETE /v1/responses/{id}` reach only the key's own responses (another key gets 404). One Redis SET
 * after the answer, off its path; one GET when a request names a response.
 */
@Injectable()
export class ResponseOwners {
  private readonly logger = new Logger(ResponseOwners.name);

  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  remember(responseId: string, owner: ResponseOwner): void {
    this.redis
      .set(this.keys.responseOwner(responseId), JSON.stringify(owner), 'EX', OWNER_TTL_S)
      .catch((err: unknown) =>
        this.logger.warn(
          { err: { message: (err as Error).message }, responseId },
          'could not remember the response owner',
        ),
      );
  }

  /** The owner when `keyId` created the response, else null (unknown, expired, or another key's). */
  async ownedBy(responseId: string, keyId: string): Promise<ResponseOwner | null> {
    const raw = await this.redis.get(this.keys.responseOwner(responseId));
    if (!raw) return null;
    const owner = JSON.parse(raw) as ResponseOwner;
    return owner.keyId === keyId ? owner : null;
  }
}
