import { ConcurrencyGate, GateFullError } from '#src/modules/auth/concurrency-gate';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyGate', () => {
  it('runs at most maxActive tasks at once, queues maxWaiting and refuses the rest at once', async () => {
    const sut = new ConcurrencyGate(2, 3);
    const gates = Array.from({ length: 8 }, deferred);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const outcomes = gates.map((g, i) =>
      sut
        .run(async () => {
          started.push(i);
          peak = Math.max(peak, ++running);
          await g.promise;
          running--;
          return i;
        })
        .then(
          (v) => ({ ok: v }),
          (err: unknown) => ({ err }),
        ),
    );
    await new Promise((r) => setImmediate(r));
    expect(sut.activeCount).toBe(2);
    expect(sut.waitingCount).toBe(3);
    expect(started).toEqual([0, 1]);
    gates.forEach((g) => g.resolve());
    const results = await Promise.all(outcomes);
    expect(results.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((ok) => ({ ok })));
    for (const r of results.slice(5)) expect((r as { err: unknown }).err).toBeInstanceOf(GateFullError);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(sut.activeCount).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const sut = new ConcurrencyGate(1, 0);
    await expect(sut.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sut.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
