import { Controller, type DynamicModule, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiModule } from '#src/api.module';
import { GatewayExceptionFilter } from '#src/core/http/exception.filter';
import { Public } from '#src/core/http/public.decorator';
import { createLogger } from '#src/core/logging/logger';
import { WorkerModule } from '#src/worker.module';
import { loginEveryRole } from '#test/factories/admin-fixtures';
import { startApi, testConfig } from '#test/utils/app';
import { LogCapture } from '#test/utils/log-capture';
import { resetState } from '#test/utils/reset';

/** A route a future module might add and forget to decorate. */
@Controller('probe')
class UndecoratedController {
  @Get('open')
  open(): { ok: true } {
    return { ok: true };
  }
}

/** The same, marked public on purpose. */
@Controller('probe')
class PublicProbeController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }
}

async function appWithProbes(root: DynamicModule): Promise<{ app: NestFastifyApplication; url: string }> {
  @Module({ imports: [root], controllers: [UndecoratedController, PublicProbeController] })
  class ProbeModule {}
  const app = await NestFactory.create<NestFastifyApplication>(ProbeModule, new FastifyAdapter(), { logger: false });
  app.useGlobalFilters(new GatewayExceptionFilter());
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: await app.getUrl() };
}

describe('the global guard closes any route not declared public', () => {
  beforeAll(() => resetState());

  it('answers 401 on an API route without any decorator, even to an admin, and serves an explicit @Public() one', async () => {
    const config = testConfig();
    const logger = createLogger({ level: 'warn', pod: 'probe', destination: new LogCapture() });
    const { app, url } = await appWithProbes(ApiModule.forRoot(config, logger));
    const api = await startApi();
    try {
      const { admin } = await loginEveryRole(api);
      const anonymous = await fetch(`${url}/probe/open`);
      expect(anonymous.status).toBe(401);
      // a valid admin JWT does not open it either: the route declares no role
      const asAdmin = await fetch(`${url}/probe/open`, { headers: { authorization: `Bearer ${admin}` } });
      expect(asAdmin.status).toBe(403);
      const open = await fetch(`${url}/probe/public`);
      expect(open.status).toBe(200);
      expect(await (await fetch(`${url}/health/live`)).json()).toMatchObject({ status: expect.any(String) });
    } finally {
      await api.close();
      await app.close();
    }
  });

  it('answers 401 on a worker route without any decorator and still serves health and metrics there', async () => {
    const config = testConfig();
    const logger = createLogger({ level: 'warn', pod: 'probe', destination: new LogCapture() });
    const { app, url } = await appWithProbes(WorkerModule.forRoot(config, logger));
    try {
      expect((await fetch(`${url}/probe/open`)).status).toBe(401);
      expect((await fetch(`${url}/probe/public`)).status).toBe(200);
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
