import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { prepareDatabase } from '#src/app.factory';
import { CliModule } from '#src/cli.module';
import type { AppConfig } from '#src/core/config/app-config';
import { loadConfigOrExit } from '#src/core/config/load-or-exit';
import { createDataSource } from '#src/core/database/data-source';
import { ENTITIES } from '#src/entities';
import { ensureDatabase, runMigrations } from '#src/core/database/database-setup';
import { createLogger, PinoNestLogger } from '#src/core/logging/logger';
import { BootstrapAdminService } from '#src/modules/auth/bootstrap-admin.service';
import { addModel, addProvider, CliUsageError, createApiKey } from '#src/cli-commands';
import { billingFailed, importCatalog } from '#src/cli-billing-commands';
import { RESET_ADMIN_PASSWORD_USAGE, resetAdminPassword } from '#src/cli-admin-commands';

type Out = (line: string) => void;
interface Command {
  usage: string;
  run: (args: string[], config: AppConfig, out: Out) => Promise<number>;
}

const out: Out = (line) => process.stdout.write(`${line}\n`);

/** Runs `fn` inside a Nest application context (no HTTP server), closing it afterwards. */
async function withContext<T>(config: AppConfig, fn: (ctx: INestApplicationContext) => Promise<T>): Promise<T> {
  const logger = createLogger({
    level: config.env.LOG_LEVEL === 'info' ? 'warn' : config.env.LOG_LEVEL,
    pod: config.podName,
  });
  await prepareDatabase(config, logger);
  const ctx = await NestFactory.createApplicationContext(CliModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
    logger.flush();
  }
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate                     create the database if missing and apply pending migrations',
    run: async (_args, config, print) => {
      await ensureDatabase(config.env.DATABASE_URL);
      const dataSource = createDataSource(config, ENTITIES);
      await dataSource.initialize();
      try {
        const applied = await runMigrations(dataSource);
        print(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await dataSource.destroy();
      }
      return 0;
    },
  },
  'bootstrap-admin': {
    usage: 'bootstrap-admin             create the first admin (BOOTSTRAP_ADMIN_EMAIL/PASSWORD) if none exists',
    run: (_args, config, print) =>
      withContext(config, async (ctx) => {
        const result = await ctx.get(BootstrapAdminService).run();
        if (!result.created) {
          print(
            result.reason === 'admin_exists'
              ? 'an admin already exists; nothing to do'
              : 'set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD',
          );
          return result.reason === 'admin_exists' ? 0 : 1;
        }
        print(`admin created: ${result.email}`);
        if (result.generatedPassword) print(`password (shown once): ${result.generatedPassword}`);
        return 0;
      }),
  },
  'reset-admin-password': {
    usage: RESET_ADMIN_PASSWORD_USAGE,
    run: (args, config, print) => withContext(config, (ctx) => resetAdminPassword(ctx, args, config, print)),
  },
  'add-provider': {
    usage:
      'add-provider --name N --type openai|azure-openai|anthropic|vertex-ai|bedrock [--base-url URL] [--api-key K | --credentials-json J | --credentials-file F] [--config-json J]',
    run: (args, config, print) => withContext(config, (ctx) => addProvider(ctx, args, print)),
  },
  'add-model': {
    usage:
      'add-model --name N --provider P [--provider-model-id ID] [--input-price-per-1m USD --output-price-per-1m USD | --pricing-json J] [--context-window N] [--max-output-tokens N]',
    run: (args, config, print) => withContext(config, (ctx) => addModel(ctx, args, print)),
  },
  'create-api-key': {
    usage:
      'create-api-key --name N [--models a,b] [--rate-limit RPM] [--tokens-per-minute TPM] [--monthly-budget USD] [--expires-at ISO] [--tag k=v ...]',
    run: (args, config, print) => withContext(config, (ctx) => createApiKey(ctx, args, print)),
  },
  'import-catalog': {
    usage: 'import-catalog <file-or-url> [--provider <name-or-id>]   load a LiteLLM price catalog (SPEC §4, §6)',
    run: (args, config, print) => withContext(config, (ctx) => importCatalog(ctx, args, print)),
  },
  'billing-failed': {
    usage: 'billing-failed list | replay [--all | <job-id>...] [--wait]   billing jobs that kept failing',
    run: (args, config, print) => withContext(config, (ctx) => billingFailed(ctx, args, print)),
  },
};

function usage(): string {
  return [
    'usage: node dist/src/cli.js <command> [options]',
    '',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
  ].join('\n');
}

const HELP = ['--help', '-h', 'help'];
/** Commands that write to the database: they say which one first, since the server may use another. */
const WRITES = new Set(['migrate', 'bootstrap-admin', 'add-provider', 'add-model', 'create-api-key']);

/** DATABASE_URL without its password. */
function databaseLabel(config: AppConfig): string {
  const url = new URL(config.env.DATABASE_URL);
  if (url.password) url.password = '***';
  return url.toString();
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (name && HELP.includes(name)) {
    out(usage());
    process.exit(0);
  }
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${name ? `unknown command: ${name}\n\n` : ''}${usage()}\n`);
    process.exit(2);
  }
  if (rest.some((arg) => arg === '--help' || arg === '-h')) {
    out(`usage: node dist/src/cli.js ${command.usage}`);
    process.exit(0);
  }
  const config = loadConfigOrExit();
  if (WRITES.has(name)) out(`database: ${databaseLabel(config)} (REDIS_PREFIX ${config.env.REDIS_PREFIX})`);
  try {
    process.exitCode = await command.run(rest, config, out);
  } catch (err) {
    process.stderr.write(`${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof CliUsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      process.stderr.write(`usage: ${command.usage}\n`);
    process.exitCode = err instanceof CliUsageError ? 2 : 1;
  }
}

void main();
