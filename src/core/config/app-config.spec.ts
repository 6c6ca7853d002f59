import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConfig } from '#src/core/config/app-config';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'llmgw-config-'));

function errorsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.errors.map((e) => e.message);
    throw err;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('loadConfig', () => {
  it('applies the SPEC §2 defaults with an empty environment', () => {
    const sut = loadConfig({ DATA_DIR: tmp() });
    expect(sut.port).toBe(8080);
    expect(sut.env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/llm_gateway');
    expect(sut.redis).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379' });
    expect(sut.env.REDIS_COMMAND_TIMEOUT).toBe(500);
    expect(sut.env.CACHE_TTL).toBe(60_000);
    expect(sut.env.UPSTREAM_TIMEOUT).toBe(600_000);
    expect(sut.env.MAX_BODY_SIZE).toBe(10 * 1024 * 1024);
    expect(sut.budgetReservationTtlMs).toBe(660_000);
    expect(sut.env.REDIS_PREFIX).toBe('llmgw');
    expect(sut.production).toBe(false);
    expect(sut.env.BILLING_PENDING_MAX).toBe(10_000);
    expect(sut.env.BILLING_ENQUEUE_TIMEOUT).toBe(2000);
    expect(sut.env.LOGGING_SINK_MEMORY_MAX_BYTES).toBe(64 * 1024 * 1024);
  });

  it('reports every bad variable at once, one line each naming it and what it expects', () => {
    const lines = errorsOf({
      DATA_DIR: tmp(),
      DATABASE_URL: 'mysql://x',
      REDIS_COMMAND_TIMEOUT: 'soon',
      GATEWAY_HTTP_PORT: '70000',
      RUN_PROCESSORS: 'maybe',
      REDIS_MODE: 'mesh',
      ENCRYPTION_KEY: 'too-short',
      MAX_BODY_SIZE: 'huge',
      BUDGET_NEAR_LIMIT: 'pray',
      LOG_BODY_MAX_BYTES: '-1',
    });
    const named = lines.map((l) => l.split(':')[0]).sort();
    expect(named).toEqual(
      [
        'DATABASE_URL',
        'REDIS_COMMAND_TIMEOUT',
        'GATEWAY_HTTP_PORT',
        'RUN_PROCESSORS',
        'REDIS_MODE',
        'ENCRYPTION_KEY',
        'MAX_BODY_SIZE',
        'BUDGET_NEAR_LIMIT',
        'LOG_BODY_MAX_BYTES',
      ].sort(),
    );
    expect(lines.find((l) => l.startsWith('REDIS_COMMAND_TIMEOUT'))).toContain('a duration such as 500ms');
    expect(lines.find((l) => l.startsWith('REDIS_MODE'))).toContain('one of standalone, cluster, sentinel');
  });

  it('requires JWT_SECRET and ENCRYPTION_KEY in production', () => {
    const lines = errorsOf({ NODE_ENV: 'production', DATA_DIR: tmp() });
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['ENCRYPTION_KEY', 'JWT_SECRET']);
  });

  it('refuses a production JWT_SECRET with less than 32 bytes of entropy, naming it, and accepts a random one', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const weak = errorsOf({
      NODE_ENV: 'production',
      DATA_DIR: tmp(),
      ENCRYPTION_KEY: key,
      JWT_SECRET: 'change-me-please-123',
    });
    expect(weak).toEqual([expect.stringMatching(/^JWT_SECRET: expected at least 32 bytes of entropy/)]);
    expect(weak[0]).not.toContain('change-me-please-123');
    const strong = randomBytes(32).toString('base64');
    expect(
      loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp(), ENCRYPTION_KEY: key, JWT_SECRET: strong }).jwtSecret,
    ).toBe(strong);
    // outside production a short secret still works (tests, local runs)
    expect(loadConfig({ DATA_DIR: tmp(), JWT_SECRET: 'short' }).jwtSecret).toBe('short');
  });

  it('requires the topology variables of cluster and sentinel modes', () => {
    expect(errorsOf({ DATA_DIR: tmp(), REDIS_MODE: 'cluster' })[0]).toMatch(/^REDIS_NODES:/);
    expect(
      errorsOf({ DATA_DIR: tmp(), REDIS_MODE: 'sentinel' })
        .map((l) => l.split(':')[0])
        .sort(),
    ).toEqual(['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']);
  });

  it('parses durations, sizes and host lists with their units', () => {
    const sut = loadConfig({
      DATA_DIR: tmp(),
      REDIS_MODE: 'cluster',
      REDIS_NODES: 'a:7000, b:7001',
      UPSTREAM_TIMEOUT: '30s',
      CACHE_TTL: '1h',
      MAX_BODY_SIZE: '512kb',
      BILLING_ENQUEUE_TIMEOUT: '750ms',
      LOGGING_SINK_MEMORY_MAX_BYTES: '8mb',
    });
    expect(sut.redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      password: undefined,
    });
    expect(sut.env.UPSTREAM_TIMEOUT).toBe(30_000);
    expect(sut.budgetReservationTtlMs).toBe(90_000);
    expect(sut.env.CACHE_TTL).toBe(3_600_000);
    expect(sut.env.MAX_BODY_SIZE).toBe(512 * 1024);
    expect(sut.env.BILLING_ENQUEUE_TIMEOUT).toBe(750);
    expect(sut.env.LOGGING_SINK_MEMORY_MAX_BYTES).toBe(8 * 1024 * 1024);
  });

  it('caps the audit buffer at 512mb and S3 requests at 60s by default, parses both with units, refuses a 0 timeout', () => {
    const defaults = loadConfig({ DATA_DIR: tmp() }).env;
    expect(defaults.LOGGING_SINK_BUFFER_MAX_BYTES).toBe(512 * 1024 * 1024);
    expect(defaults.LOGGING_SINK_S3_REQUEST_TIMEOUT).toBe(60_000);
    const sut = loadConfig({
      DATA_DIR: tmp(),
      LOGGING_SINK_BUFFER_MAX_BYTES: '64kb',
      LOGGING_SINK_S3_REQUEST_TIMEOUT: '1500ms',
    }).env;
    expect(sut.LOGGING_SINK_BUFFER_MAX_BYTES).toBe(64 * 1024);
    expect(sut.LOGGING_SINK_S3_REQUEST_TIMEOUT).toBe(1500);
    const lines = errorsOf({
      DATA_DIR: tmp(),
      LOGGING_SINK_S3_REQUEST_TIMEOUT: '0',
      LOGGING_SINK_BUFFER_MAX_BYTES: '0',
    });
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual([
      'LOGGING_SINK_BUFFER_MAX_BYTES',
      'LOGGING_SINK_S3_REQUEST_TIMEOUT',
    ]);
  });

  it('drains for 0 s by default in development (Ctrl-C is immediate) and 5 s in production', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('base64'),
      ENCRYPTION_KEY: 'ab'.repeat(32),
    };
    expect(loadConfig({ DATA_DIR: tmp() }).env.SHUTDOWN_DRAIN_DELAY).toBe(0);
    expect(loadConfig({ DATA_DIR: tmp(), SHUTDOWN_DRAIN_DELAY: '2s' }).env.SHUTDOWN_DRAIN_DELAY).toBe(2000);
    expect(loadConfig({ DATA_DIR: tmp(), ...production }).env.SHUTDOWN_DRAIN_DELAY).toBe(5000);
  });

  it('falls back to PORT and to the legacy REDIS_ADDRESS variables', () => {
    const sut = loadConfig({
      DATA_DIR: tmp(),
      PORT: '3000',
      REDIS_ADDRESS: 'cache:6380',
      REDIS_PASSWORD: 'p@ss',
      REDIS_DB: '2',
    });
    expect(sut.port).toBe(3000);
    expect(sut.redis).toEqual({ mode: 'standalone', url: 'redis://:p%40ss@cache:6380/2' });
    expect(loadConfig({ DATA_DIR: tmp(), PORT: '3000', GATEWAY_HTTP_PORT: '4000' }).port).toBe(4000);
  });

  it('creates development secrets once under DATA_DIR and reuses them', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(second.encryptionKey.key.equals(first.encryptionKey.key)).toBe(true);
    expect(first.encryptionKey.key).toHaveLength(32);
    expect(statSync(join(dir, 'dev-encryption.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'dev-jwt.key'), 'utf8').trim()).toBe(first.jwtSecret);
  });

  it('accepts a hex or base64 ENCRYPTION_KEY and gives each key its own id', () => {
    const hex = 'ab'.repeat(32);
    const sut = loadConfig({
      DATA_DIR: tmp(),
      ENCRYPTION_KEY: hex,
      ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(sut.encryptionKey.key.toString('hex')).toBe(hex);
    expect(sut.previousEncryptionKey?.id).toMatch(/^[0-9a-f]{8}$/);
    expect(sut.previousEncryptionKey?.id).not.toBe(sut.encryptionKey.id);
  });

  describe('single sign-on (OIDC)', () => {
    const sso = {
      OIDC_ISSUER: 'https://idp.example.com/realms/corp',
      OIDC_CLIENT_ID: 'llm-gateway',
      OIDC_CLIENT_SECRET: 'canary-oidc-secret',
      PUBLIC_URL: 'https://llm.example.com/',
    };

    it('is off without OIDC_ISSUER, with password sign-in on', () => {
      const sut = loadConfig({ DATA_DIR: tmp() });
      expect(sut.oidc).toBeNull();
      expect(sut.env.UI_PASSWORD_LOGIN).toBe(true);
    });

    it('derives the redirect URI from PUBLIC_URL and applies the documented defaults', () => {
      const sut = loadConfig({ DATA_DIR: tmp(), ...sso });
      expect(sut.oidc).toEqual({
        issuer: sso.OIDC_ISSUER,
        clientId: 'llm-gateway',
        clientSecret: 'canary-oidc-secret',
        redirectUri: 'https://llm.example.com/ui/auth/oidc/callback',
        scopes: 'openid email profile',
        rolesClaim: 'groups',
        roleMap: [
          { role: 'admin', group: 'gw-admins' },
          { role: 'editor', group: 'gw-editors' },
          { role: 'viewer', group: 'gw-viewers' },
        ],
      });
    });

    it('reads a role map that names a role for several groups (Entra ID object ids, Keycloak paths)', () => {
      const sut = loadConfig({
        DATA_DIR: tmp(),
        ...sso,
        OIDC_ROLE_MAP: ' admin=/platform/admins , admin=0b6c1a2e-0000-4000-8000-000000000001,viewer=all=staff',
      });
      expect(sut.oidc?.roleMap).toEqual([
        { role: 'admin', group: '/platform/admins' },
        { role: 'admin', group: '0b6c1a2e-0000-4000-8000-000000000001' },
        { role: 'viewer', group: 'all=staff' },
      ]);
    });

    it('names what SSO is missing, a bad role map, scopes without openid and an insecure issuer in production', () => {
      expect(errorsOf({ DATA_DIR: tmp(), OIDC_ISSUER: sso.OIDC_ISSUER }).sort()).toEqual([
        'OIDC_CLIENT_ID: required when OIDC_ISSUER is set',
        'OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set',
        'PUBLIC_URL: required when OIDC_ISSUER is set',
      ]);
      const named = errorsOf({
        DATA_DIR: tmp(),
        ...sso,
        OIDC_ROLE_MAP: 'root=gw-admins',
        OIDC_SCOPES: 'email profile',
      }).map((l) => l.split(':')[0]);
      expect(named.sort()).toEqual(['OIDC_ROLE_MAP', 'OIDC_SCOPES']);
      const production = { DATA_DIR: tmp(), NODE_ENV: 'production', JWT_SECRET: randomBytes(48).toString('base64') };
      const prod = { ...production, ENCRYPTION_KEY: randomBytes(32).toString('base64'), ...sso };
      expect(errorsOf({ ...prod, OIDC_ISSUER: 'http://idp.example.com' })).toEqual([
        'OIDC_ISSUER: expected an https:// URL in production',
      ]);
      // a local identity provider on loopback may speak plain HTTP
      expect(loadConfig({ ...prod, OIDC_ISSUER: 'http://127.0.0.1:8081/realms/corp' }).oidc?.issuer).toBe(
        'http://127.0.0.1:8081/realms/corp',
      );
    });

    it('refuses UI_PASSWORD_LOGIN=false without SSO, which would leave nobody able to sign in to the console', () => {
      expect(errorsOf({ DATA_DIR: tmp(), UI_PASSWORD_LOGIN: 'false' })).toEqual([
        'UI_PASSWORD_LOGIN: false needs OIDC_ISSUER (else nobody could sign in to the console)',
      ]);
      expect(loadConfig({ DATA_DIR: tmp(), ...sso, UI_PASSWORD_LOGIN: 'false' }).env.UI_PASSWORD_LOGIN).toBe(false);
    });
  });
});
