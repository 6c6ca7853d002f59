/** Parsers of form text into API values; each returns the value or an error message in plain words. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** `team=search` per line or comma → `{team: 'search'}`. */
export function parseTags(text: string): Parsed<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const raw of text.split(/[\n,]/)) {
    const item = raw.trim();
    if (!item) continue;
    const at = item.indexOf('=');
    if (at <= 0) return fail(`"${item}" is not key=value.`);
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (!value) return fail(`Tag "${key}" has no value.`);
    if (key.length > 128) return fail(`Tag name "${key.slice(0, 20)}…" is longer than 128 characters.`);
    tags[key] = value;
  }
  return ok(tags);
}

export const formatTags = (tags: Record<string, string> | null | undefined): string =>
  Object.entries(tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

/** Names separated by commas, spaces or lines, without repeats. */
export const parseList = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** '' → null (no limit); otherwise a whole number ≥ 0. */
export function parseLimit(text: string, label: string): Parsed<number | null> {
  const t = text.trim();
  if (!t) return ok(null);
  if (!/^\d+$/.test(t)) return fail(`${label} must be a whole number of 0 or more, or empty for no limit.`);
  return ok(Number(t));
}

/** '' → null (no budget); otherwise a decimal amount of USD, kept as a string so no float rounding happens. */
export function parseAmount(text: string, label: string): Parsed<string | null> {
  const t = text.trim().replace(/^\$/, '');
  if (!t) return ok(null);
  if (!/^\d+(\.\d+)?$/.test(t)) return fail(`${label} must be an amount in USD such as 25 or 25.50.`);
  return ok(t);
}

/** A JSON object typed into a textarea; '' is `{}`. */
export function parseJsonObject(text: string, label: string): Parsed<Record<string, unknown>> {
  const t = text.trim();
  if (!t) return ok({});
  try {
    const value: unknown = JSON.parse(t);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return fail(`${label} must be a JSON object, like {"temperature": 0.2}.`);
    return ok(value as Record<string, unknown>);
  } catch {
    return fail(`${label} is not valid JSON.`);
  }
}

/**
 * Alert thresholds typed as percentages of the budget ("50, 80, 100" or "50%, 80%"), sent as the fractions the API
 * takes ([0.5, 0.8, 1]); '' → null, the gateway's default of 80 % and 100 %. A number below 1 without a % sign is
 * refused: "0.8" is far more likely a fraction meant as 80 % than an alert at 0.8 % of the budget.
 */
export function parseThresholds(text: string): Parsed<number[] | null> {
  const items = text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) return ok(null);
  const fractions: number[] = [];
  for (const item of items) {
    const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(item);
    if (!m) return fail(`"${item}" is not a percentage: write numbers such as 50, 80, 100.`);
    const percent = Number(m[1]);
    if (percent <= 0 || percent > 100)
      return fail(`${item} is outside 0 to 100 %: each alert is above 0 and at most 100.`);
    if (percent < 1 && !m[2])
      return fail(
        `${item} would alert at ${item} % of the budget. Write percentages (80 for 80 %), or ${item}% if meant.`,
      );
    fractions.push(percent / 100);
  }
  const unique = [...new Set(fractions)].sort((a, b) => a - b);
  if (unique.length > 10) return fail('At most 10 alert thresholds.');
  return ok(unique);
}

/** [0.5, 0.8, 1] → "50, 80, 100" (the form's text); null → '' (the default). */
export const formatThresholds = (fractions: readonly number[] | null | undefined): string =>
  (fractions ?? []).map((f) => String(Number((f * 100).toFixed(6)))).join(', ');
