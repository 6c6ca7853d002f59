import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyUpdate, UsageGroup, UsageReport } from '../api/types';
import { resourceHooks } from './resource';

const PATH = '/admin/api-keys';

export const apiKeys = resourceHooks<ApiKey, ApiKeyCreate, ApiKeyUpdate, ApiKeyCreated>(PATH);

/** One key's usage over `[from, to)`. */
export const useApiKeyUsage = (id: string, range: { from: string; to: string }, groupBy: UsageGroup[]) =>
  useQuery({
    queryKey: [PATH, 'usage', id, range, groupBy],
    queryFn: ({ signal }) =>
      api<UsageReport>(`${PATH}/${id}/usage`, { query: { ...range, group_by: groupBy.join(',') }, signal }),
  });

/** What a key's row says about it, most decisive first. */
export function keyStatus(key: ApiKey, now = Date.now()): 'deleted' | 'revoked' | 'expired' | 'disabled' | 'active' {
  if (key.deleted_at) return 'deleted';
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && Date.parse(key.expires_at) <= now) return 'expired';
  if (!key.enabled) return 'disabled';
  return 'active';
}
