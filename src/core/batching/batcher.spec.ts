import { jest } from '@jest/globals';
import { type Batch, Batcher, type BatcherOptions } from '#src/core/batching/batcher';

interface Call {
  batch: Batch<string>;
  items: string[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A destination the test answers by hand: every send (or overflow) waits until the test settles it. */
class FakeDestination {
  readonly calls: Call[] = [];

  readonly send = (batch: Batch<string>): Promise<void> =>
    new Promise<void>((resolve, reject) => this.calls.push({ batch, items: [...batch.items], resolve, reject }));

  get last(): Call {
    return this.calls[this.calls.length - 1];
  }

  /** The items of every call, in call order. */
  get items(): string[][] {
    return this.calls.map((c) => c.items);
  }
}

function setup(options: Partial<BatcherOptions<string>> = {}) {
  const destination = new FakeDestination();
  const failures: string[][] = [];
  const sut = new Batcher<string>({
    delayMs: 5,
    sendAt: { items: 3 },
    capacity: { items: 10 },
    retryMs: 500,
    send: destination.send,
    onFailure: (_err, batch) => failures.push([...batch.items]),
    ...options,
  });
  return { sut, destination, failures };
}

/** Lets settled sends run their continuations without moving the clock. */
const settle = (): Promise<void> => jest.advanceTimersByTimeAsync(0);
const wait = (ms: number): Promise<void> => jest.advanceTimersByTimeAsync(ms);

const items = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('Batcher', () => {
  it('sends what waits once delayMs passed since the first item, in the order added', async () => {
    const { sut, destination } = setup();
    sut.add('a');
    await wait(3);
    sut.add('b');
    await wait(1);
    expect(destination.calls).toHaveLength(0);
    await wait(1);
    expect(destination.items).toEqual([['a', 'b']]);
  });

  it('sends at once when sendAt items or bytes wait, never more than batchMax in one batch', async () => {
    const byItems = setup({ sendAt: { items: 3 } });
    for (const item of items('i', 3)) byItems.sut.add(item);
    expect(byItems.destination.items).toEqual([['i1', 'i2', 'i3']]);

    const byBytes = setup({ sendAt: { items: 100, bytes: 10 }, sizeOf: (s) => s.length });
    byBytes.sut.add('xxxx');
    byBytes.sut.add('yyyy');
    expect(byBytes.destination.calls).toHaveLength(0);
    byBytes.sut.add('zz');
    expect(byBytes.destination.items).toEqual([['xxxx', 'yyyy', 'zz']]);
    expect(byBytes.destination.last.batch.bytes).toBe(10);

    // items that piled up behind a slow send leave in batches of batchMax
    const capped = setup({ sendAt: { items: 2 }, batchMax: { items: 3 }, capacity: { items: 100 } });
    for (const item of items('c', 2)) capped.sut.add(item);
    for (const item of items('d', 7)) capped.sut.add(item);
    capped.destination.last.resolve();
    await settle();
    expect(capped.destination.items).toEqual([
      ['c1', 'c2'],
      ['d1', 'd2', 'd3'],
    ]);
    capped.destination.last.resolve();
    await settle();
    capped.destination.last.resolve();
    await settle();
    expect(capped.destination.items.slice(2)).toEqual([['d4', 'd5', 'd6'], ['d7']]);
  });

  it('keeps one send in flight: what arrives meanwhile goes as the next batch as soon as it settles', async () => {
    const { sut, destination } = setup();
    for (const item of items('a', 3)) sut.add(item);
    sut.add('b1');
    await wait(50);
    expect(destination.calls).toHaveLength(1);
    destination.last.resolve();
    await settle();
    expect(destination.items).toEqual([['a1', 'a2', 'a3'], ['b1']]);
  });

  it('has what arrives during a send wait out its own delay after the send settles, gathering what comes next', async () => {
    const { sut, destination } = setup();
    for (const item of items('a', 3)) sut.add(item);
    sut.add('b1');
    await wait(1);
    destination.last.resolve();
    await settle();
    // b1 has waited 1 of its 5 ms: it is not sent alone
    expect(destination.calls).toHaveLength(1);
    await wait(2);
    sut.add('b2');
    await wait(1);
    expect(destination.calls).toHaveLength(1);
    await wait(1);
    expect(destination.items).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
    ]);
  });

  it('sends at once after a send settles when sendAt items waited behind it', async () => {
    const { sut, destination } = setup();
    for (const item of items('a', 4)) sut.add(item);
    sut.add('a5');
    sut.add('a6');
    destination.last.resolve();
    await settle();
    expect(destination.items).toEqual([
      ['a1', 'a2', 'a3'],
      ['a4', 'a5', 'a6'],
    ]);
  });

  it('retries a failed batch whole, under the same id, after retryMs and before anything that waits behind it', async () => {
    const { sut, destination, failures } = setup({ capacity: { items: 100 } });
    for (const item of items('a', 3)) sut.add(item);
    const first = destination.last.batch;
    destination.last.reject(new Error('down'));
    await settle();
    expect(failures).toEqual([['a1', 'a2', 'a3']]);
    // a full batch waiting behind the failed one does not cut the retry delay short
    for (const item of items('b', 4)) sut.add(item);
    await wait(499);
    expect(destination.calls).toHaveLength(1);
    await wait(1);
    expect(destination.calls).toHaveLength(2);
    expect(destination.last.batch.id).toBe(first.id);
    expect(destination.last.items).toEqual(['a1', 'a2', 'a3']);
    destination.last.reject(new Error('still down'));
    await wait(500);
    expect(destination.last.batch.id).toBe(first.id);
    destination.last.resolve();
    await settle();
    expect(destination.items.slice(3)).toEqual([['b1', 'b2', 'b3']]);
    destination.last.resolve();
    await settle();
    expect(destination.items.slice(4)).toEqual([['b4']]);
    expect(new Set(destination.calls.map((c) => c.batch.id)).size).toBe(3);
  });

  it('gives batches the ids newBatchId makes', async () => {
    let n = 0;
    const { sut, destination } = setup({ newBatchId: () => `push-${++n}` });
    for (const item of items('a', 3)) sut.add(item);
    destination.last.resolve();
    await settle();
    for (const item of items('b', 3)) sut.add(item);
    expect(destination.calls.map((c) => c.batch.id)).toEqual(['push-1', 'push-2']);
  });

  it('treats a send that throws as a failed send', async () => {
    const failures: string[][] = [];
    let throws = true;
    const sent: string[][] = [];
    const sut = new Batcher<string>({
      delayMs: 5,
      sendAt: { items: 2 },
      capacity: { items: 10 },
      retryMs: 100,
      send: (batch) => {
        if (throws) throw new Error('sync');
        sent.push([...batch.items]);
        return Promise.resolve();
      },
      onFailure: (_err, batch) => failures.push([...batch.items]),
    });
    sut.add('a');
    sut.add('b');
    await settle();
    expect(failures).toEqual([['a', 'b']]);
    throws = false;
    await wait(100);
    expect(sent).toEqual([['a', 'b']]);
    expect(sut.held).toEqual({ items: 0, bytes: 0 });
  });

  it('refuses items past capacity, counting what waits, what is being sent and what waits for a retry', async () => {
    const { sut, destination } = setup({ sendAt: { items: 3 }, capacity: { items: 5 } });
    for (const item of items('a', 3)) expect(sut.add(item)).toBe(true); // in flight
    expect(sut.add('b1')).toBe(true);
    expect(sut.add('b2')).toBe(true);
    expect(sut.held.items).toBe(5);
    expect(sut.add('b3')).toBe(false);
    destination.last.reject(new Error('down'));
    await settle();
    expect(sut.held.items).toBe(5); // the failed batch is still held, for its retry
    expect(sut.add('b3')).toBe(false);
    await wait(500);
    destination.last.resolve();
    await settle();
    expect(sut.held.items).toBe(2);
    expect(sut.add('b3')).toBe(true);
  });

  it('caps the bytes held, with each item counted by sizeOf', () => {
    const { sut } = setup({ sendAt: { items: 100 }, capacity: { bytes: 10 }, sizeOf: (s) => s.length });
    expect(sut.add('123456')).toBe(true);
    expect(sut.add('12345')).toBe(false);
    expect(sut.add('1234')).toBe(true);
    expect(sut.held).toEqual({ items: 2, bytes: 10 });
  });

  it('drains everything, each item sent exactly once and in order, without calling the fallback', async () => {
    const sent: string[] = [];
    let calls = 0;
    const sut = new Batcher<string>({
      delayMs: 5,
      sendAt: { items: 7 },
      capacity: { items: 1000 },
      retryMs: 50,
      // every third send fails: it is retried, never lost nor sent twice
      send: (batch) => {
        if (++calls % 3 === 0) return Promise.reject(new Error('flaky'));
        sent.push(...batch.items);
        return Promise.resolve();
      },
    });
    const added = items('x', 200);
    for (const item of added) sut.add(item);
    const fallback = jest.fn(async (_items: string[]) => undefined);
    const drained = sut.drain(10_000, fallback);
    await wait(10_000);
    await drained;
    expect(sent).toEqual(added);
    expect(fallback).not.toHaveBeenCalled();
    expect(sut.held).toEqual({ items: 0, bytes: 0 });
  });

  it('hands the fallback the batch in flight and everything waiting once the deadline passes, each item once', async () => {
    const { sut, destination } = setup({ capacity: { items: 100 } });
    for (const item of items('a', 3)) sut.add(item); // in flight, never answered
    sut.add('b1');
    sut.add('b2');
    const fallback = jest.fn(async (_items: string[]) => undefined);
    const drained = sut.drain(2_000, fallback);
    await wait(2_000);
    await drained;
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(fallback.mock.calls[0][0]).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    expect(sut.held).toEqual({ items: 0, bytes: 0 });
    // the abandoned send failing late neither retries it nor holds it again
    destination.calls[0].reject(new Error('late'));
    await wait(1_000);
    expect(destination.calls).toHaveLength(1);
    expect(sut.held.items).toBe(0);
  });

  it('hands the fallback the failed batch before what waits behind it when retries fail until the deadline', async () => {
    const { sut, destination } = setup({ capacity: { items: 100 } });
    for (const item of items('a', 3)) sut.add(item);
    destination.last.reject(new Error('down'));
    await settle();
    sut.add('b1');
    const fallback = jest.fn(async (_items: string[]) => undefined);
    const drained = sut.drain(1_000, fallback);
    // drain retries without waiting out retryMs; every attempt fails
    for (let i = 0; i < 20 && destination.calls.length < 4; i++) {
      destination.last.reject(new Error('down'));
      await wait(100);
    }
    expect(destination.calls.length).toBeGreaterThanOrEqual(4);
    expect(new Set(destination.calls.map((c) => c.batch.id)).size).toBe(1);
    await wait(1_000);
    destination.last.reject(new Error('down'));
    await wait(1_000);
    await drained;
    expect(fallback.mock.calls).toEqual([[['a1', 'a2', 'a3', 'b1']]]);
  });

  it('falls back at once when unreachable() says the destination is gone', async () => {
    const { sut, destination } = setup();
    sut.add('a');
    const fallback = jest.fn(async (_items: string[]) => undefined);
    await sut.drain(10_000, fallback, () => true);
    expect(fallback.mock.calls).toEqual([[['a']]]);
    expect(destination.calls).toHaveLength(0);
  });

  describe('overflow', () => {
    function withOverflow() {
      const overflow = new FakeDestination();
      const env = setup({
        sendAt: { items: 2 },
        batchMax: { items: 4 },
        capacity: { items: 12 },
        overflow: { atItems: 3, send: overflow.send },
      });
      return { ...env, overflow };
    }

    it('sends what waits behind a hanging send the second way, and keeps doing so while it hangs', async () => {
      const { sut, destination, overflow } = withOverflow();
      sut.add('a1');
      sut.add('a2'); // the main send, left hanging
      for (const item of items('b', 3)) sut.add(item);
      expect(overflow.items).toEqual([['b1', 'b2', 'b3']]);
      expect(sut.held.items).toBe(5);
      sut.add('c1');
      sut.add('c2');
      overflow.last.resolve();
      await settle();
      // the send still hangs: what arrived meanwhile goes the second way too, without waiting for atItems
      expect(overflow.items).toEqual([
        ['b1', 'b2', 'b3'],
        ['c1', 'c2'],
      ]);
      overflow.last.resolve();
      destination.last.resolve();
      await settle();
      expect(sut.held.items).toBe(0);
      expect(destination.items).toEqual([['a1', 'a2']]);
    });

    it('puts a failed overflow back in front of what waits, and the main send takes it, in order', async () => {
      const { sut, destination, overflow, failures } = withOverflow();
      sut.add('a1');
      sut.add('a2');
      for (const item of items('b', 3)) sut.add(item);
      sut.add('c1');
      overflow.last.reject(new Error('second way down too'));
      await settle();
      expect(failures).toEqual([['b1', 'b2', 'b3']]);
      // paused for retryMs: more items do not start another overflow
      for (const item of items('d', 3)) sut.add(item);
      expect(overflow.calls).toHaveLength(1);
      destination.last.resolve();
      await settle();
      expect(destination.items).toEqual([
        ['a1', 'a2'],
        ['b1', 'b2', 'b3', 'c1'],
      ]);
    });

    it('hands the fallback the overflow in flight with the rest at the deadline', async () => {
      const { sut, overflow } = withOverflow();
      sut.add('a1');
      sut.add('a2');
      for (const item of items('b', 3)) sut.add(item);
      sut.add('c1');
      const fallback = jest.fn(async (_items: string[]) => undefined);
      const drained = sut.drain(1_000, fallback);
      await wait(1_000);
      await drained;
      expect(fallback.mock.calls).toEqual([[['a1', 'a2', 'b1', 'b2', 'b3', 'c1']]]);
      overflow.last.reject(new Error('late'));
      await settle();
      expect(sut.held.items).toBe(0);
    });
  });
});
