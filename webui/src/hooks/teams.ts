import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Team, TeamCreate, TeamUpdate, UsageGroup, UsageReport } from '../api/types';
import { apiKeys } from './api-keys';
import { resourceHooks } from './resource';

const PATH = '/admin/teams';
/** The API's largest page: the console lists every team in one (selects, names in tables). */
export const ALL = 500;

export const teams = resourceHooks<Team, TeamCreate, TeamUpdate>(PATH);

/** Every team by id, for showing a key's team by name (undefined while loading). */
export function useTeamsById(): Map<string, Team> | undefined {
  const list = teams.useList({ limit: ALL });
  const data = list.data?.data;
  return data ? new Map(data.map((t) => [t.id, t])) : undefined;
}

/**
 * Keys per team, counted from one page of every live key; undefined while loading or when there are more keys
 * than one page holds (the column is then left out rather than shown wrong).
 */
export function useKeyCounts(): Map<string, number> | undefined {
  const list = apiKeys.useList({ limit: ALL });
  if (!list.data || list.data.total > list.data.data.length) return undefined;
  const counts = new Map<string, number>();
  for (const k of list.data.data) if (k.team_id) counts.set(k.team_id, (counts.get(k.team_id) ?? 0) + 1);
  return counts;
}

/** A team's usage over `[from, to)` (`GET /admin/teams/:id/usage`). */
export const useTeamUsage = (id: string, range: { from: string; to: string }, groupBy: UsageGroup[]) =>
  useQuery({
    queryKey: [PATH, 'usage', id, range, groupBy],
    queryFn: ({ signal }) =>
      api<UsageReport>(`${PATH}/${id}/usage`, { query: { ...range, group_by: groupBy.join(',') }, signal }),
  });
