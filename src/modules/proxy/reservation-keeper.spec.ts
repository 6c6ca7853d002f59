import type { Admission } from '#src/modules/calls/admission';
import { ReservationKeeper } from '#src/modules/proxy/reservation-keeper';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function admission(): Admission & { refreshes: number } {
  const a = {
    refreshes: 0,
    outputLimit: null,
    loweredOutputLimit: null,
    headers: {},
    periods: { key: 'month:2026-12' },
    admittedAt: null,
    settle: async () => true,
    release: async () => undefined,
    refresh: async () => {
      a.refreshes++;
    },
  };
  return a;
}

describe('ReservationKeeper', () => {
  let keeper: ReservationKeeper;
  afterEach(() => keeper.close());

  it('refreshes each reservation held at least every `everyMs`, and none after it is dropped', async () => {
    keeper = new ReservationKeeper(100);
    const a = admission();
    keeper.keep(a);
    await sleep(20);
    // not due yet: made 20 ms ago
    expect(a.refreshes).toBe(0);
    await sleep(300);
    // 320 ms held, due every 50-100 ms: about six refreshes (fewer when a loaded machine runs timers late)
    expect(a.refreshes).toBeGreaterThanOrEqual(2);
    expect(a.refreshes).toBeLessThanOrEqual(7);
    keeper.drop(a);
    const after = a.refreshes;
    await sleep(200);
    expect(a.refreshes).toBe(after);
    expect(keeper.size).toBe(0);
  });

  it('keeps reservations apart: a new one is not refreshed with an older one, and a failing refresh stops nothing', async () => {
    keeper = new ReservationKeeper(100);
    const old = admission();
    const failing = { ...admission(), refresh: () => Promise.reject(new Error('redis down')) };
    keeper.keep(old);
    keeper.keep(failing);
    await sleep(80);
    const fresh = admission();
    keeper.keep(fresh);
    await sleep(30);
    expect(old.refreshes).toBeGreaterThanOrEqual(1);
    expect(fresh.refreshes).toBe(0);
    await sleep(200);
    expect(fresh.refreshes).toBeGreaterThanOrEqual(1);
    expect(old.refreshes).toBeGreaterThanOrEqual(fresh.refreshes);
  });
});
