import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createApiApp, createWorkerApp } from '#src/app.factory';
import { type AppConfig, loadConfig } from '#src/core/config/app-config';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { createLogger } from '#src/core/logging/logger';
import { LogCapture } from '#test/utils/log-capture';
import { baseTestEnv } from '#test/utils/test-env';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  logger: Logger;
  logs: LogCapture;
  url: string;
  get<T>(token: abstract new (...args: never[]) => T): T;
  /** Runs the drain hooks (batches, buffers) and closes the app, as a graceful shutdown would. */
  close(): Promise<void>;
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...baseTestEnv(), ...env });
}

async function start(kind: 'api' | 'worker', env: Record<string, string>): Promise<TestApp> {
  const config = testConfig(env);
  const logs = new LogCapture();
  const logger = createLogger({ level: config.env.LOG_LEVEL, pod: config.podName, destination: logs });
  const app = kind === 'api' ? await createApiApp(config, logger) : await createWorkerApp(config, logger);
  // a random port, unless the test needs to know it before start-up (a redirect URI registered at an IdP)
  await app.listen({ port: env.GATEWAY_HTTP_PORT ? config.port : 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closed = false;
  return {
    app,
    config,
    logger,
    logs,
    url: `http://127.0.0.1:${port}`,
    get: <T>(token: abstract new (...args: never[]) => T): T => app.get<T>(token),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.get(LifecycleService).runDrainHooks(() => undefined);
      await app.close();
    },
  };
}

/** Starts the API on a random loopback port against this worker's database and Redis prefix. */
export const startApi = (env: Record<string, string> = {}): Promise<TestApp> => start('api', env);

/** Starts the worker process's application (processors, health, metrics) in-process. */
export const startWorker = (env: Record<string, string> = {}): Promise<TestApp> => start('worker', env);
