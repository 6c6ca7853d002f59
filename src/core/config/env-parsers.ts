import bytes from 'bytes';
import ms from 'ms';

/** A parser turns one raw environment string into a typed value or explains what it expected. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; expected: string };
export type Parser<T> = (raw: string) => ParseResult<T>;

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(expected: string): ParseResult<T> => ({ ok: false, expected });

export const str: Parser<string> = (raw) => ok(raw);

export const nonEmpty: Parser<string> = (raw) => (raw.trim() === '' ? fail('a non-empty string') : ok(raw));

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return fail(`an integer between ${min} and ${max}`);
    const value = Number(raw);
    return value >= min && value <= max ? ok(value) : fail(`an integer between ${min} and ${max}`);
  };
}

export const port = int(0, 65535);

export const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return ok(true);
  if (['false', '0', 'no', 'off'].includes(v)) return ok(false);
  return fail('true or false');
};

/** Durations such as `500ms`, `30s`, `5m`, `1h`, parsed by `ms`; a bare number means milliseconds. */
export const duration: Parser<number> = (raw) => {
  const trimmed = raw.trim();
  const value = trimmed === '' ? undefined : (ms(trimmed as ms.StringValue) as number | undefined);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? ok(Math.round(value))
    : fail('a duration such as 500ms, 30s, 5m or 1h');
};

/** A duration above zero, for timeouts that must not be switched off. */
export const positiveDuration: Parser<number> = (raw) => {
  const parsed = duration(raw);
  return parsed.ok && parsed.value === 0 ? fail('a duration above 0, such as 500ms, 30s or 5m') : parsed;
};

export const byteSize: Parser<number> = (raw) => {
  const value = bytes.parse(raw.trim());
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? ok(value)
    : fail('a size such as 512kb or 10mb');
};

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (raw) => {
    const v = raw.trim() as T;
    return values.includes(v) ? ok(v) : fail(`one of ${values.join(', ')}`);
  };
}

export const url =
  (...protocols: string[]): Parser<string> =>
  (raw) => {
    try {
      const parsed = new URL(raw.trim());
      return protocols.includes(parsed.protocol.replace(/:$/, ''))
        ? ok(raw.trim())
        : fail(`a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`);
    } catch {
      return fail(`a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`);
    }
  };

/** `host:port,host:port` lists for Redis Cluster and Sentinel. */
export const hostList: Parser<{ host: string; port: number }[]> = (raw) => {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const nodes: { host: string; port: number }[] = [];
  for (const part of parts) {
    const m = /^(.+):(\d{1,5})$/.exec(part);
    if (!m) return fail('a comma-separated list of host:port');
    nodes.push({ host: m[1], port: Number(m[2]) });
  }
  return nodes.length > 0 ? ok(nodes) : fail('a comma-separated list of host:port');
};

/** A 32-byte key given as base64 or hex. */
export const key32: Parser<Buffer> = (raw) => {
  const trimmed = raw.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  return buf.length === 32 ? ok(buf) : fail('a 32-byte key, base64 (44 characters) or hex (64 characters)');
};

/** A fraction from 0 to 1 (a sampling ratio). */
export const ratio: Parser<number> = (raw) => {
  const value = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= 1
    ? ok(value)
    : fail('a number from 0 to 1');
};

/** The gateway roles, in rank order (the auth module's ADMIN_ROLES; core cannot import a feature module). */
const GATEWAY_ROLES = ['viewer', 'editor', 'admin'] as const;

/** OIDC_ROLE_MAP: `admin=gw-admins,editor=gw-editors`, a role named once per group it is granted by. */
export const roleMap: Parser<{ role: (typeof GATEWAY_ROLES)[number]; group: string }[]> = (raw) => {
  const expected = `comma-separated role=group pairs, roles being ${GATEWAY_ROLES.join(', ')}`;
  const pairs: { role: (typeof GATEWAY_ROLES)[number]; group: string }[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const role = part.slice(0, eq).trim() as (typeof GATEWAY_ROLES)[number];
    const group = part.slice(eq + 1).trim();
    if (eq < 1 || group === '' || !GATEWAY_ROLES.includes(role)) return fail(expected);
    pairs.push({ role, group });
  }
  return pairs.length > 0 ? ok(pairs) : fail(expected);
};
