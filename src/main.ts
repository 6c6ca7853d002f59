import 'reflect-metadata';
import { bootstrapAdmin, createApiApp, installShutdown, prepareDatabase } from '#src/app.factory';
import { loadConfigOrExit } from '#src/core/config/load-or-exit';
import { createLogger } from '#src/core/logging/logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.env.LOG_LEVEL, pod: config.podName });
  try {
    await prepareDatabase(config, logger);
    const app = await createApiApp(config, logger);
    await bootstrapAdmin(app, logger, (line) => process.stdout.write(`${line}\n`));
    installShutdown(app, config, logger);
    await app.listen({ port: config.port, host: '0.0.0.0' });
    logger.info({ port: config.port, processors: config.env.RUN_PROCESSORS }, 'gateway API listening');
  } catch (err) {
    logger.fatal({ err }, 'gateway API failed to start');
    logger.flush();
    process.exit(1);
  }
}

void main();
