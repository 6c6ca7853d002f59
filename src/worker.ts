import 'reflect-metadata';
import { createWorkerApp, installShutdown, prepareDatabase } from '#src/app.factory';
import { loadConfigOrExit } from '#src/core/config/load-or-exit';
import { createLogger } from '#src/core/logging/logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.env.LOG_LEVEL, pod: config.podName });
  try {
    await prepareDatabase(config, logger);
    const app = await createWorkerApp(config, logger);
    installShutdown(app, config, logger);
    await app.listen({ port: config.env.WORKER_HTTP_PORT, host: '0.0.0.0' });
    logger.info({ port: config.env.WORKER_HTTP_PORT }, 'gateway worker running');
  } catch (err) {
    logger.fatal({ err }, `gateway worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
    logger.flush();
    process.exit(1);
  }
}

void main();
