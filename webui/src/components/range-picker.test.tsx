import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { overviewRange } from '../lib/overview';
import { CustomRangeForm } from './range-picker';

describe('custom range form', () => {
  const now = Date.parse('2026-12-06T07:25:10Z');
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
  });
  afterEach(() => vi.useRealTimers());

  const setup = () => {
    const onApply = vi.fn();
    render(<CustomRangeForm range={overviewRange('7d', now)} onApply={onApply} />);
    const from = screen.getByLabelText<HTMLInputElement>('From (UTC day)');
    const until = screen.getByLabelText<HTMLInputElement>('Until, included (UTC day)');
    const show = () => fireEvent.click(screen.getByRole('button', { name: 'Show these days' }));
    return { onApply, from, until, show };
  };

  it('starts from the days of the range shown, and applies the days chosen', () => {
    const { onApply, from, until, show } = setup();
    expect([from.value, until.value, until.max]).toEqual(['2026-11-29', '2026-12-06', '2026-12-06']);
    fireEvent.change(from, { target: { value: '2026-11-01' } });
    fireEvent.change(until, { target: { value: '2026-11-30' } });
    show();
    expect(onApply).toHaveBeenCalledWith({
      id: 'custom',
      label: '2026-11-01 to 2026-11-30',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      bucket: 'day',
    });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('explains a refused range in words next to the inputs, and applies nothing', () => {
    const { onApply, from, until, show } = setup();
    fireEvent.change(until, { target: { value: '2026-12-08' } });
    show();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe('The last day is in the future: choose 2026-12-06 (today, UTC) or earlier.');
    expect(until.getAttribute('aria-invalid')).toBe('true');
    expect(until.getAttribute('aria-describedby')).toBe(alert.id);
    expect(from.getAttribute('aria-describedby')).toBe(alert.id);
    expect(onApply).not.toHaveBeenCalled();

    fireEvent.change(until, { target: { value: '2026-12-06' } });
    show();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(onApply).toHaveBeenCalledTimes(1);
  });
});
