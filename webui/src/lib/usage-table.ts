import { USAGE_GROUPS, type UsageGroup, type UsageRow } from '../api/types';
import { type CsvValue, toCsv } from './csv';

/** The label of a usage row's group, e.g. "search-backend · gpt-4o-mini". */
export function groupLabel(row: UsageRow, groups: readonly UsageGroup[]): string {
  const parts = groups.map((g) => {
    if (g === 'api_key') return row.api_key_name ?? row.api_key_id ?? '(no key)';
    if (g === 'team') return row.team_name ?? row.team_id ?? '(no team)';
    if (g === 'end_user') return row.end_user ?? '(no end user)';
    if (g === 'model') return row.model ?? '(unknown model)';
    if (g === 'provider') return row.provider ?? '(no provider)';
    return row.day ?? '';
  });
  return parts.join(' · ') || 'All';
}

const GROUP_COLUMNS: Record<UsageGroup, { header: string; value: (r: UsageRow) => CsvValue }[]> = {
  api_key: [
    { header: 'api_key_id', value: (r) => r.api_key_id },
    { header: 'api_key_name', value: (r) => r.api_key_name },
  ],
  team: [
    { header: 'team_id', value: (r) => r.team_id },
    { header: 'team_name', value: (r) => r.team_name },
  ],
  end_user: [{ header: 'end_user', value: (r) => r.end_user }],
  model: [{ header: 'model', value: (r) => r.model }],
  provider: [{ header: 'provider', value: (r) => r.provider }],
  day: [{ header: 'day', value: (r) => r.day }],
};

const COUNTERS: { header: string; value: (r: UsageRow) => CsvValue }[] = [
  { header: 'requests', value: (r) => r.requests },
  { header: 'prompt_tokens', value: (r) => r.prompt_tokens },
  { header: 'completion_tokens', value: (r) => r.completion_tokens },
  { header: 'cache_read_tokens', value: (r) => r.cache_read_tokens },
  { header: 'cache_write_tokens', value: (r) => r.cache_write_tokens },
  { header: 'reasoning_tokens', value: (r) => r.reasoning_tokens },
  { header: 'cost_usd', value: (r) => r.cost_usd },
  { header: 'estimated_requests', value: (r) => r.estimated_requests },
  { header: 'unpriced_requests', value: (r) => r.unpriced_requests },
  { header: 'cache_hits', value: (r) => r.cache_hits },
  { header: 'saved_usd', value: (r) => r.saved_usd },
];

/** The usage report as CSV: one column per group key (in the API's order), then every counter. */
export function usageCsv(rows: readonly UsageRow[], groups: readonly UsageGroup[]): string {
  const ordered = USAGE_GROUPS.filter((g) => groups.includes(g));
  return toCsv([...ordered.flatMap((g) => GROUP_COLUMNS[g]), ...COUNTERS], rows);
}
