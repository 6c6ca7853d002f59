import type { AddressInfo } from 'node:net';
import { Controller, Get, Post } from '@nestjs/common';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { InvalidApiKeyException } from '#src/modules/keys/keys.exception';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { ApiKeyAuth } from '#src/modules/proxy/api-key-auth.decorator';
import { DirectRoute } from '#src/modules/proxy/direct-route.decorator';
import { attachDirectRoutes, directRoutesOf } from '#src/modules/proxy/direct-routes';

@ApiKeyAuth()
@Controller()
class KeyRoutes {
  @Post('v1/echo')
  @DirectRoute()
  echo(req: ProxyRequest, reply: FastifyReply): Promise<void> {
    void reply.send({ served: 'direct', key: req.apiKey?.id, body: req.body });
    return Promise.resolve();
  }

  @Post('v1/fails')
  @DirectRoute()
  async fails(): Promise<void> {
    throw new Error('boom');
  }

  @Get('v1/models')
  models(): string {
    return 'not direct';
  }
}

@Controller('admin')
class AdminRoutes {
  @Post('things')
  @DirectRoute()
  create(): string {
    return 'should never be direct';
  }
}

/** The key guard's contract: `authenticate` sets `req.apiKey` for the key `good`, else throws the 401. */
const guard = {
  refused: 0,
  async authenticate(req: ProxyRequest): Promise<void> {
    if (req.headers.authorization !== 'Bearer good') {
      this.refused++;
      throw new InvalidApiKeyException();
    }
    req.apiKey = { id: 'key-1' } as ProxyRequest['apiKey'];
  },
};

/** A request to the instance over a real socket (`inject` needs CommonJS, which these specs do not load). */
async function send(
  fastify: FastifyInstance,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const address = fastify.server.address();
  const base = address
    ? `http://127.0.0.1:${(address as AddressInfo).port}`
    : await fastify.listen({ port: 0, host: '127.0.0.1' });
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Registers every route as Nest does, with a handler that answers `nest`. */
function registerAsNest(fastify: FastifyInstance, routes: string[]): void {
  for (const route of routes) {
    const [method, url] = route.split(' ');
    fastify.route({ method, url, handler: (_req, reply) => reply.send({ served: 'nest' }) });
  }
}

describe('direct routes', () => {
  let fastify: FastifyInstance;
  beforeEach(() => {
    fastify = Fastify();
    guard.refused = 0;
  });
  afterEach(() => fastify.close());

  it('lists the marked methods of a controller by verb and path', () => {
    expect([...directRoutesOf(new KeyRoutes()).keys()]).toEqual(['POST /v1/echo', 'POST /v1/fails']);
  });

  it('refuses a marked route that is not an API-key route: it would skip the admin guard', () => {
    expect(() => directRoutesOf(new AdminRoutes())).toThrow('@DirectRoute() create is not an @ApiKeyAuth() route');
  });

  it('serves a marked route from Fastify after the key guard, and leaves the others to Nest', async () => {
    attachDirectRoutes(fastify, new KeyRoutes(), guard);
    registerAsNest(fastify, ['POST /v1/echo', 'POST /v1/fails', 'GET /v1/models']);
    const ok = await send(fastify, 'POST', '/v1/echo', { key: 'good', body: { model: 'm' } });
    expect(ok).toEqual({ status: 200, json: { served: 'direct', key: 'key-1', body: { model: 'm' } } });
    expect((await send(fastify, 'GET', '/v1/models')).json).toEqual({ served: 'nest' });
  });

  it("answers the guard's refusal and a failing method in the proxy's error shape", async () => {
    attachDirectRoutes(fastify, new KeyRoutes(), guard);
    registerAsNest(fastify, ['POST /v1/echo', 'POST /v1/fails']);
    const refused = await send(fastify, 'POST', '/v1/echo', { body: { model: 'm' } });
    expect(refused.status).toBe(401);
    expect(refused.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(guard.refused).toBe(1);
    const failed = await send(fastify, 'POST', '/v1/fails', { key: 'good', body: {} });
    expect(failed.status).toBe(500);
    expect(failed.json.error).toMatchObject({ type: 'api_error', code: 'internal_error' });
  });

  it('fails the start when a marked route is never registered under its path', async () => {
    attachDirectRoutes(fastify, new KeyRoutes(), guard);
    registerAsNest(fastify, ['POST /api/v1/echo', 'POST /v1/fails']);
    await expect(fastify.ready()).rejects.toThrow('@DirectRoute() not registered: POST /v1/echo');
  });
});
