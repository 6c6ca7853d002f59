import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, loadConfig } from '#src/core/config/app-config';
import { duration } from '#src/core/config/env-parsers';
import {
  commandOf,
  type ComposeFile,
  gatewayServices,
  interpolate,
  loadCompose,
  rawEnvironment,
} from '#test/deploy/compose';
import { ROOT } from '#test/utils/processes';

/** What an operator exports before `docker compose up`, as the README says. */
const SHELL = {
  JWT_SECRET: 'canary-compose-jwt-secret-51ab-7Qm2Xv9LpR4sTz8KwN3e',
  ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
  BOOTSTRAP_ADMIN_PASSWORD: 'canary-compose-admin-password',
};

/** Time a container needs after the in-flight grace period to flush and close (as for the Kubernetes pods). */
const FLUSH_MARGIN_MS = 10_000;

/** Dockerfile instructions with line continuations joined: `{ op: 'COPY', args: '...' }`. */
function dockerfile(): { op: string; args: string }[] {
  return readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage, the image that runs. */
function runtimeStage(): { op: string; args: string }[] {
  const all = dockerfile();
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  const configOf = (name: string): AppConfig => {
    const raw = rawEnvironment(compose.services[name]);
    return loadConfig(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v, SHELL)])));
  };

  beforeAll(() => {
    compose = loadCompose();
  });

  it('runs the API, the worker and a one-shot migrate from the gateway image', () => {
    expect(
      gatewayServices(compose)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['api', 'migrate', 'worker']);
    expect(commandOf(compose.services.api)).toEqual(['node', 'dist/src/main.js']);
    expect(commandOf(compose.services.worker)).toEqual(['node', 'dist/src/worker.js']);
    expect(commandOf(compose.services.migrate)).toEqual(['node', 'dist/src/cli.js', 'migrate']);
    expect(compose.services.migrate.restart).toBe('no');
  });

  it('migrates before the API and worker start, which themselves run with DB_RUN_MIGRATIONS=false', () => {
    for (const name of ['api', 'worker']) {
      expect(compose.services[name].depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(configOf(name).env.DB_RUN_MIGRATIONS).toBe(false);
    }
    expect(configOf('api').env.RUN_PROCESSORS).toBe(false);
  });

  it('gives every gateway service a production environment the config validation accepts', () => {
    for (const [name] of gatewayServices(compose)) {
      const config = configOf(name);
      expect({ name, production: config.production }).toEqual({ name, production: true });
    }
    expect(() => loadConfig(rawEnvironment(compose.services.api))).toThrow();
    expect(() => interpolate(rawEnvironment(compose.services.api).JWT_SECRET, {})).toThrow(/requires JWT_SECRET/);
  });

  it('publishes the API on GATEWAY_HTTP_PORT and health-checks the worker on WORKER_HTTP_PORT', () => {
    expect(compose.services.api.ports?.map((p) => Number(p.split(':').at(-1)))).toEqual([configOf('api').port]);
    const check = [compose.services.worker.healthcheck?.test ?? []].flat().join(' ');
    expect(check).toContain(`http://127.0.0.1:${configOf('worker').env.WORKER_HTTP_PORT}/health/live`);
  });

  it('waits SHUTDOWN_DRAIN_DELAY + SHUTDOWN_GRACE_PERIOD plus time to flush before killing a container', () => {
    for (const name of ['api', 'worker']) {
      const { env } = configOf(name);
      const grace = duration(compose.services[name].stop_grace_period ?? '10s');
      if (!grace.ok) throw new Error(`${name}: unparsed stop_grace_period`);
      expect({
        name,
        enough: grace.value >= env.SHUTDOWN_DRAIN_DELAY + env.SHUTDOWN_GRACE_PERIOD + FLUSH_MARGIN_MS,
      }).toEqual({
        name,
        enough: true,
      });
    }
  });

  it('names each gateway container differently (POD_NAME names audit-log objects and metrics)', () => {
    const names = ['api', 'worker'].map((name) => configOf(name).podName);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('Dockerfile', () => {
  it('runs node dist/src/main.js from /app as a non-root user, on Node 24', () => {
    const stage = runtimeStage();
    expect(stage[0].args).toMatch(/^node:24[-.\w]*\s+AS\s+\w+$/i);
    expect(stage.filter((i) => i.op === 'WORKDIR').at(-1)?.args).toBe('/app');
    const user = stage.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(JSON.parse(stage.filter((i) => i.op === 'CMD').at(-1)!.args)).toEqual(['node', 'dist/src/main.js']);
    expect(stage.find((i) => i.op === 'ENV' && /NODE_ENV=production/.test(i.args))).toBeDefined();
  });

  it('exposes the default API and worker ports and health-checks /health/live on the API port the app reads', () => {
    const stage = runtimeStage();
    const ports = stage.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    const defaults = loadConfig({ JWT_SECRET: 'x', ENCRYPTION_KEY: SHELL.ENCRYPTION_KEY });
    expect(ports).toEqual(expect.arrayContaining([defaults.port, defaults.env.WORKER_HTTP_PORT]));
    const healthcheck = stage.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toContain('/health/live');
    // same precedence as loadConfig: GATEWAY_HTTP_PORT, then PORT, then 8080
    expect(healthcheck).toContain(`process.env.GATEWAY_HTTP_PORT||process.env.PORT||${defaults.port}`);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = dockerfile()
      .filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'migrations']));
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
      expect(ignored).not.toContain(source);
    }
  });
});
