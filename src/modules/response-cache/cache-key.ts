import { hash } from 'node:crypto';
import type { CallEndpoint } from '#src/modules/calls/call-event';
import type { CacheScope } from '#src/modules/response-cache/cache-setting';

/** Request fields that never change the answer: how it is delivered and who it is for (SPEC §14). */
const IGNORED_FIELDS = new Set(['stream', 'stream_options', 'user', 'metadata']);

/** JSON with object keys sorted at every level, so equal requests hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface CacheKeyParts {
  scope: CacheScope;
  /** The calling key's id (scope `key`); its team's id (scope `team`; `key:<id>` for a key without a team). */
  scopeId: string | null;
  /** What the call resolved to: a model's id, or a routed alias's id (its answer may come from any target). */
  resolved: string;
  api: CallEndpoint;
  body: Record<string, unknown>;
}

/** SHA-256 (hex) over the scope, the resolved model, the API and the canonical body without the ignored fields. */
export function cacheKeyOf(parts: CacheKeyParts): string {
  const body = Object.fromEntries(Object.entries(parts.body).filter(([k]) => !IGNORED_FIELDS.has(k)));
  const material = canonicalJson({
    scope: parts.scope === 'global' ? 'global' : `${parts.scope}:${parts.scopeId}`,
    resolved: parts.resolved,
    api: parts.api,
    body,
  });
  return hash('sha256', material, 'hex');
}
