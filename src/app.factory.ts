import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { ApiModule } from '#src/api.module';
import type { AppConfig } from '#src/core/config/app-config';
import { createDataSource } from '#src/core/database/data-source';
import { ENTITIES } from '#src/entities';
import { ensureDatabase, runMigrations } from '#src/core/database/database-setup';
import { BodyTooDeepException, nestedDeeperThan } from '#src/core/http/body-depth';
import { GatewayExceptionFilter } from '#src/core/http/exception.filter';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { generateRequestId, isProxyPath } from '#src/core/http/request-id';
import { createOpenApiDocument, setupSwagger } from '#src/core/http/swagger';
import { PinoNestLogger } from '#src/core/logging/logger';
import type { AdminAtStart } from '#src/core/logging/startup-summary';
import { BootstrapAdminService } from '#src/modules/auth/bootstrap-admin.service';
import { serveDirectRoutes } from '#src/modules/proxy/direct-routes';
import { WorkerModule } from '#src/worker.module';

/** Creates the database if missing and, unless DB_RUN_MIGRATIONS=false, applies migrations under the setup lock. */
export async function prepareDatabase(config: AppConfig, logger: Logger): Promise<void> {
  await ensureDatabase(config.env.DATABASE_URL);
  if (!config.env.DB_RUN_MIGRATIONS) return;
  const dataSource = createDataSource(config, ENTITIES);
  await dataSource.initialize();
  try {
    const applied = await runMigrations(dataSource);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  } finally {
    await dataSource.destroy();
  }
}

/** One compact line per request when it completes (none on arrival), carrying its request id. */
class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        err: error ?? undefined,
      },
      'request completed',
    );
  }
}

function fastifyAdapter(config: AppConfig, logger: Logger): FastifyAdapter {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLogController({ requestIdLogLabel: 'requestId' }),
    genReqId: generateRequestId,
    bodyLimit: config.env.MAX_BODY_SIZE,
    trustProxy: config.env.TRUST_PROXY > 0 ? (_address: string, hop: number) => hop < config.env.TRUST_PROXY : false,
    forceCloseConnections: 'idle',
    return503OnClosing: false,
  });
  const fastify = adapter.getInstance();
  // a callback hook, not an async one: no promise per response
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  // the proxy refuses too-deep bodies itself, so the refusal reaches the audit log (request-body.ts)
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (!isProxyPath(request.url) && nestedDeeperThan(request.body)) done(new BodyTooDeepException());
    else done();
  });
  return adapter;
}

async function configure(app: NestFastifyApplication, logger: Logger): Promise<void> {
  app.useLogger(new PinoNestLogger(logger));
  app.useGlobalFilters(new GatewayExceptionFilter());
  app.get(LifecycleService).attach(app.getHttpServer());
}

/** The API application (not listening yet): proxy, admin, docs, health, metrics. */
export async function createApiApp(config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, logger),
    fastifyAdapter(config, logger),
    {
      bufferLogs: true,
      abortOnError: false,
      // a proxied call's audit record keeps the body as the client sent it, not serialized again
      rawBody: true,
    },
  );
  await configure(app, logger);
  serveDirectRoutes(app);
  setupSwagger(app);
  return app;
}

/**
 * The API's OpenAPI document without a database, Redis or listening socket: `preview: true` scans the module
 * graph but instantiates no provider, and the document is built from route metadata only. The build
 * (scripts/openapi.mjs) writes it to dist/openapi.json for the console's generated types.
 */
export async function createOpenApiDocumentOffline(config: AppConfig, logger: Logger): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, logger),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
      abortOnError: false,
    },
  );
  try {
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** The worker application (not listening yet): processors plus health and metrics. */
export async function createWorkerApp(config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    WorkerModule.forRoot(config, logger),
    fastifyAdapter(config, logger),
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  await configure(app, logger);
  return app;
}

/** Runs the admin bootstrap; prints a generated development password once, outside the JSON log. */
export async function bootstrapAdmin(
  app: NestFastifyApplication,
  logger: Logger,
  print: (line: string) => void,
  bootstrapEmail?: string,
): Promise<AdminAtStart> {
  const result = await app.get(BootstrapAdminService).run();
  if (!result.created) return { email: bootstrapEmail, created: false, passwordGenerated: false };
  if (result.generatedPassword) {
    logger.warn({ email: result.email }, 'development admin created; its password is printed once on stdout');
    print(`\n  Admin created: ${result.email}\n  Password (shown once): ${result.generatedPassword}\n`);
  }
  return { email: result.email, created: true, passwordGenerated: Boolean(result.generatedPassword) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** How long calls cut when the grace period ends get to publish their billing and audit events. */
const CUT_CALLS_SETTLE_MS = 5000;

/**
 * SPEC §9 on SIGTERM/SIGINT: readiness fails at once; new connections are still served for
 * SHUTDOWN_DRAIN_DELAY (load balancers notice); then the listener closes and in-flight calls and streams
 * get SHUTDOWN_GRACE_PERIOD; then batches and buffers are flushed, queues and connections close, exit 0.
 */
export function installShutdown(
  app: NestFastifyApplication,
  config: AppConfig,
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let started = false;
  const lifecycle = app.get(LifecycleService);
  const shutdown = async (signal: string): Promise<void> => {
    if (started) return;
    started = true;
    lifecycle.shuttingDown = true;
    logger.info({ signal, drainDelayMs: config.env.SHUTDOWN_DRAIN_DELAY }, 'shutdown started; readiness now fails');
    await sleep(config.env.SHUTDOWN_DRAIN_DELAY);
    const server = app.getHttpServer();
    server.close();
    server.closeIdleConnections();
    const idle = await lifecycle.waitForIdle(config.env.SHUTDOWN_GRACE_PERIOD);
    if (!idle)
      logger.warn({ inflight: lifecycle.inflightRequests }, 'grace period over; closing remaining connections');
    server.closeAllConnections();
    // calls cut just now still settle and publish their events (billed as 499): wait for those before draining
    if (!(await lifecycle.waitForIdle(CUT_CALLS_SETTLE_MS)))
      logger.warn({ calls: lifecycle.inflightCalls }, 'calls cut at the end of the grace period did not settle');
    await lifecycle.runDrainHooks((name, err) => logger.error({ err, hook: name }, 'drain step failed'));
    await app.close();
    logger.info('shutdown complete');
    logger.flush();
    exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal).catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        exit(1);
      });
    });
  }
}
