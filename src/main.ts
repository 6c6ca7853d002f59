import 'reflect-metadata';
import { bootstrapAdmin, createApiApp, installShutdown, prepareDatabase } from '#src/app.factory';
import { loadConfigOrExit } from '#src/core/config/load-or-exit';
import { createLogger } from '#src/core/logging/logger';
import { formatStartupSummary, startupSummary } from '#src/core/logging/startup-summary';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.env.LOG_LEVEL, pod: config.podName });
  try {
    await prepareDatabase(config, logger);
    const app = await createApiApp(config, logger);
    const print = (text: string): boolean => process.stdout.write(`${text}\n`);
    const admin = await bootstrapAdmin(app, logger, print, config.env.BOOTSTRAP_ADMIN_EMAIL);
    installShutdown(app, config, logger);
    await app.listen({ port: config.port, host: '0.0.0.0' });
    const summary = startupSummary(config, admin);
    logger.info({ port: config.port, ...summary }, 'gateway API listening');
    // the JSON line above is for log pipelines; a person starting it by hand reads this last
    if (!config.production) {
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      print(formatStartupSummary(summary));
    }
  } catch (err) {
    logger.fatal({ err }, `gateway API failed to start: ${err instanceof Error ? err.message : String(err)}`);
    logger.flush();
    process.exit(1);
  }
}

void main();
