/** `YYYY-MM-DD` of a date, in UTC (usage reports are in UTC days). */
export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/** The current calendar month in UTC as `[from, to)`: the period budgets are counted over. */
export function currentMonth(now = new Date()): { from: string; to: string } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { from: utcDay(from), to: utcDay(to) };
}

/** The last `days` UTC days up to and including today, as `[from, to)`. */
export function lastDays(days: number, now = new Date()): { from: string; to: string } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const from = new Date(to.getTime() - days * 86_400_000);
  return { from: utcDay(from), to: utcDay(to) };
}

/** Every UTC day in `[from, to)`, so charts show days without calls as zero rather than skipping them. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t < end && out.length < 400; t += 86_400_000)
    out.push(utcDay(new Date(t)));
  return out;
}

/** A `datetime-local` input's value (the browser's time zone) as ISO-8601 with Z; '' stays ''. */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** An ISO instant as a `datetime-local` value in the browser's time zone. */
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
