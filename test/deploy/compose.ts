import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ROOT } from '#test/utils/processes';

/** docker-compose.yml as the Compose CLI reads it: YAML 1.1 merge keys (`<<: *gateway-env`) applied. */

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  stop_grace_period?: string;
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  [extension: `x-${string}`]: unknown;
}

export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

export function loadCompose(): ComposeFile {
  const doc = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`docker-compose.yml: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as ComposeFile;
}

/** The services that run the gateway image (built from this repository's Dockerfile). */
export function gatewayServices(compose: ComposeFile): [string, ComposeService][] {
  return Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
}

/** A service's environment as name → raw value (before `${...}` interpolation). */
export function rawEnvironment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/**
 * Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `${VAR?error}` interpolation
 * from `shell`; a required variable that `shell` lacks throws, as `docker compose up` would refuse to start.
 */
export function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (_m, name: string, colon, op, arg) => {
    const set = shell[name] !== undefined && (colon !== ':' || shell[name] !== '');
    if (set) return shell[name];
    if (op === '?') throw new Error(`docker-compose.yml requires ${name}: ${arg as string}`);
    return op === '-' ? (arg as string) : '';
  });
}

/** Names of the host variables `${...}` refers to anywhere in the file. */
export function interpolatedNames(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

export const commandOf = (service: ComposeService): string[] =>
  typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);
