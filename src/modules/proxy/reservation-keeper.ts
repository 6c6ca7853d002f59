import { performance } from 'node:perf_hooks';
import type { Admission } from '#src/modules/calls/admission';

/**
 * Keeps the budget reservations of the calls in flight alive while their providers work (SPEC §7), so a call that
 * outlives BUDGET_RESERVATION_TTL on a live pod never loses its reservation; only a dead pod's lapse. One timer
 * for every call of the process, not one per call: it ticks every half `everyMs` and refreshes the reservations
 * not refreshed for that long, so each is refreshed at least every `everyMs`.
 */
export class ReservationKeeper {
  /** Each reservation held, with when it was made or last refreshed (performance.now()). */
  private readonly held = new Map<Admission, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly everyMs: number) {}

  keep(admission: Admission): void {
    this.held.set(admission, performance.now());
    if (this.timer) return;
    this.timer = setInterval(() => this.refreshDue(), this.everyMs / 2);
    this.timer.unref();
  }

  drop(admission: Admission): void {
    this.held.delete(admission);
  }

  /** Reservations held now (for tests and shutdown). */
  get size(): number {
    return this.held.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.held.clear();
  }

  private refreshDue(): void {
    const now = performance.now();
    const due = now - this.everyMs / 2;
    for (const [admission, last] of this.held) {
      if (last > due) continue;
      this.held.set(admission, now);
      admission.refresh().catch(() => undefined);
    }
  }
}
