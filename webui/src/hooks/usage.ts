import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { UsageGroup, UsageOverview, UsageReport } from '../api/types';
import type { OverviewRange } from '../lib/overview';

export interface UsageFilter {
  from: string;
  to: string;
  api_key_id?: string;
  team_id?: string;
  model?: string;
  group_by: UsageGroup[];
}

export const useUsage = (filter: UsageFilter, enabled = true) =>
  useQuery({
    queryKey: ['/admin/usage', filter],
    queryFn: ({ signal }) =>
      api<UsageReport>('/admin/usage', { query: { ...filter, group_by: filter.group_by.join(',') }, signal }),
    placeholderData: keepPreviousData,
    enabled,
  });

/** `GET /admin/usage/overview` over one of the overview's ranges: every call, or one key's. */
export const useUsageOverview = ({ from, to, bucket }: OverviewRange, apiKeyId?: string) =>
  useQuery({
    queryKey: ['/admin/usage/overview', { from, to, bucket, api_key_id: apiKeyId }],
    queryFn: ({ signal }) =>
      api<UsageOverview>('/admin/usage/overview', { query: { from, to, bucket, api_key_id: apiKeyId }, signal }),
    placeholderData: keepPreviousData,
  });
