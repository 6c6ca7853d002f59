import { type FormEvent, useId, useState } from 'react';
import { utcDay } from '../lib/dates';
import {
  customRange,
  OVERVIEW_RANGES,
  type OverviewRange,
  type OverviewRangeId,
  overviewRange,
  rangeDays,
} from '../lib/overview';
import { Field } from './field';

type Choice = OverviewRangeId | 'custom';

/**
 * The range a page charts: a preset (computed when chosen, so the query stays the same until the next choice) or,
 * once applied, days chosen by hand. `choice` is `custom` from the moment that option is picked, so its form shows
 * while the previous range stays charted.
 */
export function useRangeChoice(initial: OverviewRangeId) {
  const [range, setRange] = useState(() => overviewRange(initial));
  const [custom, setCustom] = useState(false);
  const choose = (choice: Choice) => {
    setCustom(choice === 'custom');
    if (choice !== 'custom') setRange(overviewRange(choice));
  };
  return { range, choice: custom ? ('custom' as const) : (range.id as OverviewRangeId), choose, apply: setRange };
}

/** The presets, and "Custom range…" when the page offers one. */
export function RangeSelect({
  choice,
  onChoose,
  custom = false,
}: {
  choice: Choice;
  onChoose: (choice: Choice) => void;
  custom?: boolean;
}) {
  return (
    <Field label="Range">
      {(a11y) => (
        <select {...a11y} value={choice} onChange={(e) => onChoose(e.target.value as Choice)}>
          {OVERVIEW_RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
          {custom ? <option value="custom">Custom range…</option> : null}
        </select>
      )}
    </Field>
  );
}

/**
 * From and until (both included, UTC days), checked in plain words when applied. The browser's own date checks are
 * off (`noValidate`) so that every refusal reads the same; `max` still keeps the picker's calendar to today.
 */
export function CustomRangeForm({ range, onApply }: { range: OverviewRange; onApply: (range: OverviewRange) => void }) {
  const [days, setDays] = useState(() => rangeDays(range));
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const today = utcDay(new Date());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = customRange(days.fromDay, days.untilDay);
    setError(result.error ?? null);
    if (result.range) onApply(result.range);
  };
  const input = (key: 'fromDay' | 'untilDay') => (a11y: { id: string; 'aria-describedby'?: string }) => (
    <input
      {...a11y}
      type="date"
      max={today}
      value={days[key]}
      onChange={(e) => setDays((d) => ({ ...d, [key]: e.target.value }))}
      aria-invalid={error ? true : undefined}
      aria-describedby={error ? errorId : undefined}
    />
  );
  return (
    <form className="range-form" aria-label="Custom range" noValidate onSubmit={submit}>
      <Field label="From (UTC day)">{input('fromDay')}</Field>
      <Field label="Until, included (UTC day)">{input('untilDay')}</Field>
      <button type="submit">Show these days</button>
      {error ? (
        <p id={errorId} role="alert" className="range-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}
