import {
  bool,
  byteSize,
  duration,
  positiveDuration,
  hostList,
  int,
  key32,
  nonEmpty,
  oneOf,
  type Parser,
  port,
  ratio,
  roleMap,
  str,
  url,
} from '#src/core/config/env-parsers';

interface VarSpec<T> {
  parse: Parser<T>;
  /** Raw default, parsed like a real value; absent means the variable is optional (undefined). */
  default?: string;
}

function v<T>(parse: Parser<T>, def: string): VarSpec<T> & { default: string };
function v<T>(parse: Parser<T>): VarSpec<T>;
function v<T>(parse: Parser<T>, def?: string): VarSpec<T> {
  return { parse, default: def };
}

/**
 * Every environment variable the gateway reads (SPEC §2). One line each on what it means;
 * derived defaults (PORT, REDIS_ADDRESS, dev secrets, BUDGET_RESERVATION_TTL) live in config.loader.ts.
 */
export const ENV_SCHEMA = {
  // production or anything else (development)
  NODE_ENV: v(str, 'development'),
  // PostgreSQL connection; the database is created if missing
  DATABASE_URL: v(url('postgres', 'postgresql'), 'postgres://postgres@127.0.0.1:5432/llm_gateway'),
  // apply pending migrations at start-up
  DB_RUN_MIGRATIONS: v(bool, 'true'),
  // size of the PostgreSQL connection pool per process
  DB_POOL_SIZE: v(int(1, 1000), '10'),
  // a new PostgreSQL connection fails after this (an unreachable database answers 503 this fast)
  DB_CONNECT_TIMEOUT: v(duration, '5s'),
  // Redis URL; when unset REDIS_ADDRESS / REDIS_PASSWORD / REDIS_DB are used
  REDIS_URL: v(url('redis', 'rediss')),
  // legacy host:port of Redis (the original gateway's variable)
  REDIS_ADDRESS: v(nonEmpty),
  // legacy Redis password
  REDIS_PASSWORD: v(str),
  // legacy Redis database number
  REDIS_DB: v(int(0, 15)),
  // standalone, cluster or sentinel
  REDIS_MODE: v(oneOf('standalone', 'cluster', 'sentinel'), 'standalone'),
  // cluster seed nodes host:port,...
  REDIS_NODES: v(hostList),
  // sentinel nodes host:port,...
  REDIS_SENTINELS: v(hostList),
  // name of the sentinel master set
  REDIS_SENTINEL_NAME: v(nonEmpty),
  // prefix of every Redis key, queue and channel
  REDIS_PREFIX: v(
    (raw) =>
      /^[A-Za-z0-9_.:-]{1,64}$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, expected: 'letters, digits, _ . : - (1-64 characters)' },
    'llmgw',
  ),
  // hot-path Redis commands fail after this
  REDIS_COMMAND_TIMEOUT: v(duration, '500ms'),
  // API port (PORT when unset)
  GATEWAY_HTTP_PORT: v(port),
  // fallback API port
  PORT: v(port),
  // the worker's health and metrics port
  WORKER_HTTP_PORT: v(port, '9090'),
  // serve /metrics on this port only (API and worker), not on the application's port; unset keeps it there
  METRICS_PORT: v(port),
  // reverse-proxy hops trusted for the client address
  TRUST_PROXY: v(int(0, 32), '0'),
  // admin JWT signing secret (required in production, with at least 32 bytes of entropy)
  JWT_SECRET: v(nonEmpty),
  // failed admin logins allowed per client address (IPv6: per /64) across all accounts in 15 minutes
  LOGIN_ADDRESS_MAX_FAILURES: v(int(1, 1_000_000), '20'),
  // Argon2 login verifications running at once per process
  LOGIN_VERIFY_CONCURRENCY: v(int(1, 64), '2'),
  // login verifications waiting for a slot per process; beyond that logins get 503
  LOGIN_VERIFY_QUEUE: v(int(0, 10_000), '32'),
  // admin JWT lifetime
  JWT_EXPIRES_IN: v(duration, '24h'),
  // lifetime of a console sign-in (the server-side session behind its cookie)
  UI_SESSION_TTL: v(positiveDuration, '12h'),
  // the console's session cookie is Secure (sent over HTTPS and to localhost only); false for plain HTTP elsewhere
  UI_COOKIE_SECURE: v(bool, 'true'),
  // password sign-in on the console (POST /ui/session); false leaves SSO as the console's only sign-in
  UI_PASSWORD_LOGIN: v(bool, 'true'),
  // the gateway's external base URL as browsers reach it (the OIDC redirect URI is <PUBLIC_URL>/ui/auth/oidc/callback)
  PUBLIC_URL: v(url('http', 'https')),
  // OIDC issuer URL of the identity provider; set, it turns on SSO for the console and POST /admin/auth/oidc
  OIDC_ISSUER: v(url('http', 'https')),
  // the gateway's client id at the identity provider (also the audience ID tokens must carry)
  OIDC_CLIENT_ID: v(nonEmpty),
  // the gateway's client secret at the identity provider
  OIDC_CLIENT_SECRET: v(nonEmpty),
  // the ID token claim holding the user's groups or roles (a dotted path such as realm_access.roles works)
  OIDC_ROLES_CLAIM: v(nonEmpty, 'groups'),
  // gateway role=IdP group pairs, comma-separated; a role may be named several times
  OIDC_ROLE_MAP: v(roleMap, 'admin=gw-admins,editor=gw-editors,viewer=gw-viewers'),
  // scopes asked for at sign-in, space-separated (must include openid)
  OIDC_SCOPES: v(
    (raw) =>
      raw.split(/\s+/).includes('openid')
        ? { ok: true, value: raw.trim().split(/\s+/).join(' ') }
        : { ok: false, expected: "space-separated scopes including 'openid'" },
    'openid email profile',
  ),
  // 32-byte provider credential key, base64 or hex (required in production)
  ENCRYPTION_KEY: v(key32),
  // previous key, still decrypting during a rotation
  ENCRYPTION_KEY_PREVIOUS: v(key32),
  // LRU size of the API key cache
  CACHE_API_KEY_SIZE: v(int(1, 10_000_000), '1000'),
  // LRU size of the model, alias and price caches
  CACHE_MODEL_SIZE: v(int(1, 10_000_000), '500'),
  // longest a cached key, model, alias, provider or admin may be stale; 0 turns caching off
  CACHE_TTL: v(duration, '60s'),
  // largest answer the response cache stores (SPEC §14); larger ones are answered and not stored
  CACHE_MAX_ENTRY_BYTES: v(byteSize, '1mb'),
  // periodic full reload of providers
  PROVIDER_RELOAD_INTERVAL: v(duration, '5m'),
  // retryable failures of a routing target within 60 s that make every pod skip it for ROUTING_COOLDOWN
  ROUTING_COOLDOWN_FAILURES: v(int(1, 1000), '3'),
  // how long a failing routing target is skipped (a provider's Retry-After wins when it sends one)
  ROUTING_COOLDOWN: v(positiveDuration, '30s'),
  // run queue processors inside the API process
  RUN_PROCESSORS: v(bool, 'true'),
  // write audit logs
  LOGGING_SINK_ENABLED: v(bool, 'true'),
  // bucket for audit logs; empty writes files under ./data/logs
  LOGGING_SINK_S3_BUCKET: v(str, ''),
  // S3 region
  LOGGING_SINK_S3_REGION: v(nonEmpty, 'us-east-1'),
  // S3 endpoint override (MinIO, s3rver)
  LOGGING_SINK_S3_ENDPOINT: v(url('http', 'https')),
  // path-style S3 addressing
  LOGGING_SINK_S3_FORCE_PATH_STYLE: v(bool, 'false'),
  // key prefix of log objects
  LOGGING_SINK_S3_PREFIX: v(str, 'logs/'),
  // longest one S3 request of a flush may take (a hung upload fails, and its batch is retried)
  LOGGING_SINK_S3_REQUEST_TIMEOUT: v(positiveDuration, '60s'),
  // flush when this many records are buffered
  LOGGING_SINK_FLUSH_SIZE: v(int(1, 1_000_000), '1000'),
  // flush at least this often
  LOGGING_SINK_FLUSH_INTERVAL: v(duration, '5m'),
  // gzip level of the audit log objects: 1 fastest (about half of level 6's CPU, objects ~20 % larger), 9 smallest
  LOGGING_SINK_GZIP_LEVEL: v(int(1, 9), '1'),
  // keep request and response bodies in audit logs
  LOG_BODIES: v(bool, 'true'),
  // longer bodies are truncated in the audit record
  LOG_BODY_MAX_BYTES: v(int(0, 100 * 1024 * 1024), '65536'),
  // records the Redis audit buffer may hold
  LOGGING_SINK_BUFFER_MAX: v(int(1, 100_000_000), '100000'),
  // bytes of audit records Redis may hold (buffer plus batches being stored); past it records are dropped
  LOGGING_SINK_BUFFER_MAX_BYTES: v(byteSize, '512mb'),
  // audit records an API process holds in memory before they reach the Redis buffer; past it new ones are dropped
  LOGGING_SINK_MEMORY_MAX_BYTES: v(byteSize, '64mb'),
  // pino log level of the process log
  LOG_LEVEL: v(oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'info'),
  // names log objects and metrics (host name when unset)
  POD_NAME: v((raw) =>
    /^[A-Za-z0-9._-]{1,128}$/.test(raw)
      ? { ok: true, value: raw }
      : { ok: false, expected: 'letters, digits, . _ - (1-128 characters)' },
  ),
  // admin created once when no admin user exists
  BOOTSTRAP_ADMIN_EMAIL: v((raw) =>
    /^[^\s@]+@[^\s@]+$/.test(raw)
      ? { ok: true, value: raw.toLowerCase() }
      : { ok: false, expected: 'an email address' },
  ),
  // password of that admin
  BOOTSTRAP_ADMIN_PASSWORD: v((raw) =>
    raw.length >= 8 ? { ok: true, value: raw } : { ok: false, expected: 'a password of at least 8 characters' },
  ),
  // CLI reset-admin-password only: the new password (else one is generated and printed once)
  ADMIN_NEW_PASSWORD: v((raw) =>
    raw.length >= 8 ? { ok: true, value: raw } : { ok: false, expected: 'a password of at least 8 characters' },
  ),
  // connecting to a provider
  UPSTREAM_CONNECT_TIMEOUT: v(duration, '10s'),
  // until the provider's response headers, and the longest silence inside a stream
  UPSTREAM_TIMEOUT: v(duration, '600s'),
  // optional cap on a whole call (0 = none)
  UPSTREAM_TOTAL_TIMEOUT: v(duration, '0'),
  // a provider answer (or a whole stream) larger than this ends the call with 502
  UPSTREAM_MAX_RESPONSE_BYTES: v(byteSize, '50mb'),
  // larger request bodies get 413
  MAX_BODY_SIZE: v(byteSize, '10mb'),
  // near a budget: shorten the output limit or refuse
  BUDGET_NEAR_LIMIT: v(oneOf('shorten', 'refuse'), 'shorten'),
  // output reserved when neither the call nor the model states a limit
  BUDGET_DEFAULT_OUTPUT_TOKENS: v(int(1, 10_000_000), '4096'),
  // smallest output worth sending a call for when shortening
  BUDGET_MIN_OUTPUT_TOKENS: v(int(1, 10_000_000), '16'),
  // an unsettled reservation is released after this (UPSTREAM_TIMEOUT + 60s when unset)
  BUDGET_RESERVATION_TTL: v(duration),
  // every this long one pod recomputes each budgeted key's month counter from PostgreSQL + unbilled calls (0 = off)
  BUDGET_RECONCILE_INTERVAL: v(duration, '5m'),
  // billing events an API process holds in memory while neither Redis nor PostgreSQL takes them; past it new ones are dropped
  BILLING_PENDING_MAX: v(int(1, 10_000_000), '10000'),
  // a billing batch Redis has not acknowledged within this is written to PostgreSQL directly
  BILLING_ENQUEUE_TIMEOUT: v(duration, '2s'),
  // closed refuses calls when Redis is unreachable, open lets them through unmetered
  REDIS_FAILURE_MODE: v(oneOf('closed', 'open'), 'closed'),
  // on SIGTERM, keep serving new connections this long (0 when unset outside production)
  SHUTDOWN_DRAIN_DELAY: v(duration, '5s'),
  // then give in-flight calls this long
  SHUTDOWN_GRACE_PERIOD: v(duration, '30s'),
  // let providers' base URLs reach loopback/private addresses (default: true outside production)
  PROVIDER_ALLOW_PRIVATE_URLS: v(bool),
  // let catalog import fetch from loopback/private addresses
  CATALOG_ALLOW_PRIVATE_URLS: v(bool, 'false'),
  // first wait before a failed webhook delivery is retried; it doubles up to 1 h, for 24 h in all (SPEC §13)
  WEBHOOK_RETRY_BASE_DELAY: v(positiveDuration, '10s'),
  // how often one worker looks for API keys expiring within 7 days or 1 day (key.expiring alerts; 0 = off)
  KEY_EXPIRY_SCAN_INTERVAL: v(duration, '1h'),
  // delete usage records older than this many days (0 keeps them)
  USAGE_RETENTION_DAYS: v(int(0, 36500), '0'),
  // directory for development secrets and local audit log files
  DATA_DIR: v(nonEmpty, './data'),
  // OpenTelemetry tracing (SPEC §16), the standard OTEL_* variables: on when an OTLP endpoint is set
  OTEL_EXPORTER_OTLP_ENDPOINT: v(url('http', 'https')),
  // the traces endpoint in full (…/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: v(url('http', 'https')),
  // http/protobuf or http/json
  OTEL_EXPORTER_OTLP_PROTOCOL: v(oneOf('http/protobuf', 'http/json'), 'http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: v(oneOf('http/protobuf', 'http/json')),
  // headers sent with every export, as key=value,key2=value2 (values URL-encoded)
  OTEL_EXPORTER_OTLP_HEADERS: v(str, ''),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: v(str, ''),
  // the service.name of every span (default llm-gateway)
  OTEL_SERVICE_NAME: v(str, ''),
  // extra resource attributes, as key=value,key2=value2
  OTEL_RESOURCE_ATTRIBUTES: v(str, ''),
  // which traces are kept: always_on, always_off, traceidratio or their parentbased_ forms
  OTEL_TRACES_SAMPLER: v(
    oneOf(
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ),
    'parentbased_always_on',
  ),
  // the ratio of the traceidratio samplers, 0 to 1
  OTEL_TRACES_SAMPLER_ARG: v(ratio, '1'),
  // how long finished spans wait to be exported together (ms)
  OTEL_BSP_SCHEDULE_DELAY: v(int(0, 3_600_000), '5000'),
  // true turns tracing off even with an endpoint set
  OTEL_SDK_DISABLED: v(bool, 'false'),
} as const;

export type EnvName = keyof typeof ENV_SCHEMA;
type ParsedOf<S> = S extends VarSpec<infer T> ? T : never;
type HasDefault<S> = S extends { default: string } ? true : false;

/** The parsed environment, before derived values are filled in. */
export type ParsedEnv = {
  [K in EnvName]: HasDefault<(typeof ENV_SCHEMA)[K]> extends true
    ? ParsedOf<(typeof ENV_SCHEMA)[K]>
    : ParsedOf<(typeof ENV_SCHEMA)[K]> | undefined;
};

export interface EnvError {
  name: string;
  message: string;
}

export function parseEnv(env: Record<string, string | undefined>): { parsed: ParsedEnv; errors: EnvError[] } {
  const parsed: Record<string, unknown> = {};
  const errors: EnvError[] = [];
  for (const [name, spec] of Object.entries(ENV_SCHEMA) as [string, VarSpec<unknown>][]) {
    const given = env[name];
    const raw = given === undefined || given === '' ? spec.default : given;
    if (raw === undefined) {
      parsed[name] = undefined;
      continue;
    }
    const result = spec.parse(raw);
    if (result.ok) parsed[name] = result.value;
    else errors.push({ name, message: `${name}: expected ${result.expected}, got ${JSON.stringify(given)}` });
  }
  return { parsed: parsed as ParsedEnv, errors };
}
