import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type EnvError, type ParsedEnv, parseEnv } from '#src/core/config/env.schema';
import { key32 } from '#src/core/config/env-parsers';
import { estimateEntropyBits, JWT_SECRET_MIN_ENTROPY_BYTES } from '#src/core/config/secret-entropy';

export type RedisTopology =
  | { mode: 'standalone'; url: string }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; password?: string }
  | { mode: 'sentinel'; sentinels: { host: string; port: number }[]; name: string; password?: string; db?: number };

/** Single sign-on through an OpenID Connect provider (SPEC §16), when OIDC_ISSUER is set. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `<PUBLIC_URL>/ui/auth/oidc/callback`, registered at the identity provider. */
  redirectUri: string;
  scopes: string;
  rolesClaim: string;
  roleMap: { role: 'viewer' | 'editor' | 'admin'; group: string }[];
}

export const OIDC_CALLBACK_PATH = '/ui/auth/oidc/callback';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/**
 * The typed, validated configuration. Built once per process from the environment (SPEC §2);
 * nothing else reads process.env.
 */
export class AppConfig {
  readonly production: boolean;
  readonly env: ParsedEnv;
  readonly port: number;
  readonly redis: RedisTopology;
  readonly jwtSecret: string;
  readonly encryptionKey: EncryptionKey;
  readonly previousEncryptionKey?: EncryptionKey;
  readonly podName: string;
  readonly budgetReservationTtlMs: number;
  /** PROVIDER_ALLOW_PRIVATE_URLS, defaulting to true outside production. */
  readonly providerAllowPrivateUrls: boolean;
  /** Null when OIDC_ISSUER is unset (no SSO). */
  readonly oidc: OidcSettings | null;

  constructor(init: Omit<AppConfig, never>) {
    Object.assign(this, init);
  }
}

export class ConfigValidationError extends Error {
  constructor(readonly errors: EnvError[]) {
    super(`Invalid configuration:\n${errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Reads a development secret from `file`, creating it (mode 0600) the first time. */
function devSecret(dir: string, file: string, create: () => string): string {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    mkdirSync(dir, { recursive: true });
    const value = create();
    try {
      writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    } catch {
      // another process created it first: use theirs so both agree
      return readFileSync(path, 'utf8').trim();
    }
    chmodSync(path, 0o600);
    return value;
  }
}

function redisTopology(p: ParsedEnv, errors: EnvError[]): RedisTopology {
  if (p.REDIS_MODE === 'cluster') {
    if (!p.REDIS_NODES)
      errors.push({
        name: 'REDIS_NODES',
        message: 'REDIS_NODES: expected a comma-separated list of host:port when REDIS_MODE=cluster',
      });
    return { mode: 'cluster', nodes: p.REDIS_NODES ?? [], password: p.REDIS_PASSWORD || undefined };
  }
  if (p.REDIS_MODE === 'sentinel') {
    if (!p.REDIS_SENTINELS)
      errors.push({
        name: 'REDIS_SENTINELS',
        message: 'REDIS_SENTINELS: expected a comma-separated list of host:port when REDIS_MODE=sentinel',
      });
    if (!p.REDIS_SENTINEL_NAME)
      errors.push({
        name: 'REDIS_SENTINEL_NAME',
        message: 'REDIS_SENTINEL_NAME: expected the master set name when REDIS_MODE=sentinel',
      });
    return {
      mode: 'sentinel',
      sentinels: p.REDIS_SENTINELS ?? [],
      name: p.REDIS_SENTINEL_NAME ?? '',
      password: p.REDIS_PASSWORD || undefined,
      db: p.REDIS_DB,
    };
  }
  if (p.REDIS_URL) return { mode: 'standalone', url: p.REDIS_URL };
  if (p.REDIS_ADDRESS) {
    const auth = p.REDIS_PASSWORD ? `:${encodeURIComponent(p.REDIS_PASSWORD)}@` : '';
    return { mode: 'standalone', url: `redis://${auth}${p.REDIS_ADDRESS}/${p.REDIS_DB ?? 0}` };
  }
  return { mode: 'standalone', url: 'redis://127.0.0.1:6379' };
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * OIDC_ISSUER turns SSO on and then needs the client id, secret and PUBLIC_URL; in production the issuer must
 * be HTTPS (plain HTTP only on loopback, for a local identity provider). Password sign-in can be turned off
 * only when SSO is there to take its place.
 */
function oidcSettings(p: ParsedEnv, production: boolean, errors: EnvError[]): OidcSettings | null {
  if (!p.OIDC_ISSUER) {
    if (!p.UI_PASSWORD_LOGIN)
      errors.push({
        name: 'UI_PASSWORD_LOGIN',
        message: 'UI_PASSWORD_LOGIN: false needs OIDC_ISSUER (else nobody could sign in to the console)',
      });
    return null;
  }
  const missing = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'PUBLIC_URL'] as const).filter((name) => !p[name]);
  for (const name of missing) errors.push({ name, message: `${name}: required when OIDC_ISSUER is set` });
  const issuer = new URL(p.OIDC_ISSUER);
  if (production && issuer.protocol !== 'https:' && !LOOPBACK_HOSTS.includes(issuer.hostname))
    errors.push({ name: 'OIDC_ISSUER', message: 'OIDC_ISSUER: expected an https:// URL in production' });
  const { OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret, PUBLIC_URL: publicUrl } = p;
  if (!clientId || !clientSecret || !publicUrl) return null;
  return {
    issuer: p.OIDC_ISSUER,
    clientId,
    clientSecret,
    redirectUri: `${publicUrl.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`,
    scopes: p.OIDC_SCOPES,
    rolesClaim: p.OIDC_ROLES_CLAIM,
    roleMap: p.OIDC_ROLE_MAP,
  };
}

/**
 * Validates the whole environment at once. Throws ConfigValidationError listing every bad variable.
 * In development, JWT_SECRET and ENCRYPTION_KEY are created once under DATA_DIR and reused.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const { parsed: p, errors } = parseEnv(env);
  const production = p.NODE_ENV === 'production';
  const redis = redisTopology(p, errors);

  if (production && !p.JWT_SECRET)
    errors.push({ name: 'JWT_SECRET', message: 'JWT_SECRET: required in production (a long random string)' });
  else if (production && p.JWT_SECRET && estimateEntropyBits(p.JWT_SECRET) < JWT_SECRET_MIN_ENTROPY_BYTES * 8)
    errors.push({
      name: 'JWT_SECRET',
      message: `JWT_SECRET: expected at least ${JWT_SECRET_MIN_ENTROPY_BYTES} bytes of entropy in production (e.g. \`openssl rand -base64 32\`), got an estimated ${Math.floor(estimateEntropyBits(p.JWT_SECRET) / 8)}`,
    });
  if (production && !p.ENCRYPTION_KEY)
    errors.push({
      name: 'ENCRYPTION_KEY',
      message: 'ENCRYPTION_KEY: required in production (a 32-byte key, base64 or hex)',
    });
  if (p.BUDGET_MIN_OUTPUT_TOKENS > p.BUDGET_DEFAULT_OUTPUT_TOKENS) {
    errors.push({
      name: 'BUDGET_MIN_OUTPUT_TOKENS',
      message: 'BUDGET_MIN_OUTPUT_TOKENS: expected at most BUDGET_DEFAULT_OUTPUT_TOKENS',
    });
  }
  const metricsPort = p.METRICS_PORT;
  if (metricsPort !== undefined && [p.GATEWAY_HTTP_PORT ?? p.PORT ?? 8080, p.WORKER_HTTP_PORT].includes(metricsPort))
    errors.push({
      name: 'METRICS_PORT',
      message: 'METRICS_PORT: expected a port other than GATEWAY_HTTP_PORT and WORKER_HTTP_PORT',
    });
  const oidc = oidcSettings(p, production, errors);
  if (errors.length > 0) throw new ConfigValidationError(errors);
  // the drain delay lets load balancers notice a stopping pod; in development it only delays Ctrl-C
  if (!production && !env.SHUTDOWN_DRAIN_DELAY) p.SHUTDOWN_DRAIN_DELAY = 0;

  const jwtSecret = p.JWT_SECRET ?? devSecret(p.DATA_DIR, 'dev-jwt.key', () => randomBytes(48).toString('base64url'));
  let encryption = p.ENCRYPTION_KEY;
  if (!encryption) {
    const raw = devSecret(p.DATA_DIR, 'dev-encryption.key', () => randomBytes(32).toString('base64'));
    const parsedKey = key32(raw);
    if (!parsedKey.ok)
      throw new ConfigValidationError([
        {
          name: 'ENCRYPTION_KEY',
          message: `ENCRYPTION_KEY: ${join(p.DATA_DIR, 'dev-encryption.key')} does not hold ${parsedKey.expected}`,
        },
      ]);
    encryption = parsedKey.value;
  }

  return new AppConfig({
    production,
    env: p,
    port: p.GATEWAY_HTTP_PORT ?? p.PORT ?? 8080,
    redis,
    jwtSecret,
    encryptionKey: { id: keyId(encryption), key: encryption },
    previousEncryptionKey: p.ENCRYPTION_KEY_PREVIOUS
      ? { id: keyId(p.ENCRYPTION_KEY_PREVIOUS), key: p.ENCRYPTION_KEY_PREVIOUS }
      : undefined,
    podName:
      p.POD_NAME ??
      hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 128),
    budgetReservationTtlMs: p.BUDGET_RESERVATION_TTL ?? p.UPSTREAM_TIMEOUT + 60_000,
    providerAllowPrivateUrls: p.PROVIDER_ALLOW_PRIVATE_URLS ?? !production,
    oidc,
  });
}
