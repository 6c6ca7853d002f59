import { type AppConfig, ConfigValidationError, loadConfig } from '#src/core/config/app-config';

/** Entrypoints only: validates the environment, printing one line per bad variable and exiting 1. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(
        `Invalid configuration (${err.errors.length} problem${err.errors.length === 1 ? '' : 's'}):\n`,
      );
      for (const e of err.errors) process.stderr.write(`  ${e.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
