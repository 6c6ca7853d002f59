import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { UsageGroup, UsageReport } from '../api/types';

export interface UsageFilter {
  from: string;
  to: string;
  api_key_id?: string;
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
