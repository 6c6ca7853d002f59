import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { Public } from '#src/core/http/public.decorator';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';

const CHECK_TIMEOUT_MS = 2000;

async function check(fn: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** The process runs. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** PostgreSQL and Redis answer and the process is not shutting down; 503 otherwise. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, string>> {
    const [postgres, redis] = await Promise.all([
      check(() => this.dataSource.query('SELECT 1')),
      check(() => this.redis.ping()),
    ]);
    const shuttingDown = this.lifecycle.shuttingDown;
    const ok = postgres === 'up' && redis === 'up' && !shuttingDown;
    void reply.code(ok ? 200 : 503);
    return { status: ok ? 'ok' : shuttingDown ? 'shutting_down' : 'unavailable', postgres, redis };
  }
}
