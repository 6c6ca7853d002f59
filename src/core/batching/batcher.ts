/** Items sent together; a failed batch is retried whole, under the same id. */
export interface Batch<T> {
  readonly id: string;
  readonly items: readonly T[];
  /** The items' `sizeOf` total. */
  readonly bytes: number;
}

export interface BatchLimits {
  items?: number;
  bytes?: number;
}

export interface BatcherOptions<T> {
  /** How long the first waiting item waits for others before a send. */
  delayMs: number;
  /** Waiting items that start a send at once. */
  sendAt: BatchLimits;
  /** The most one batch takes (default `sendAt`); a batch always takes at least one item. */
  batchMax?: BatchLimits;
  /** What `add` refuses past: items and bytes held (waiting, retrying and being sent). */
  capacity: BatchLimits;
  /** An item's size in bytes (default 0: only items count). */
  sizeOf?: (item: T) => number;
  /** A failed batch is retried this long after the failure (or at once by `flush`/`drain`). */
  retryMs: number;
  /** Rejects when the batch was not taken: it is then kept and retried first. */
  send(batch: Batch<T>): Promise<void>;
  /** A send or overflow failed; its items stay held and are sent again. */
  onFailure?(err: unknown, batch: Batch<T>): void;
  /** Ids of new batches (default: a counter), e.g. a random id the destination deduplicates on. */
  newBatchId?: () => string;
  /**
   * A second way out, for items arriving while a send hangs: once `atItems` wait behind a send still in flight,
   * `send` takes up to one batch of them, one such batch at a time, and keeps taking what arrives while the send
   * still hangs. A failed overflow puts its items back in front of the waiting ones, and no overflow starts for
   * `retryMs`.
   */
  overflow?: { atItems: number; send(batch: Batch<T>): Promise<void> };
}

export interface Held {
  items: number;
  bytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** The promise of `fn()`, rejected (not thrown) when `fn` throws. */
const attempt = (fn: () => Promise<void>): Promise<void> => new Promise<void>((resolve) => resolve(fn()));

/**
 * Collects items added from a hot path and sends them in batches, one send at a time, so the caller never waits
 * on I/O: a batch goes once `delayMs` passed since its first item or `sendAt` items or bytes wait. A failed batch
 * is kept whole and sent again first after `retryMs`, under the same id; meanwhile new items wait behind it, up
 * to `capacity`, past which `add` refuses them. `drain` sends what is held before a shutdown, handing the rest
 * to a fallback once its deadline passes. Timers never keep the process alive.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private pendingBytes = 0;
  /** The batch that failed, sent again before any other. */
  private retry: Batch<T> | null = null;
  private inFlight: Batch<T> | null = null;
  private sending: Promise<void> | null = null;
  private overflowing: Batch<T> | null = null;
  private overflowSending: Promise<void> | null = null;
  private overflowPausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The retry timer runs: a full batch waits for it rather than hammering a destination that just failed. */
  private backingOff = false;
  private seq = 0;
  private readonly sizeOf: (item: T) => number;
  private readonly batchMax: BatchLimits;

  constructor(private readonly options: BatcherOptions<T>) {
    this.sizeOf = options.sizeOf ?? (() => 0);
    this.batchMax = options.batchMax ?? options.sendAt;
  }

  /** Items and bytes in memory: waiting, retrying, being sent or overflowing. */
  get held(): Held {
    const batches = [this.retry, this.inFlight, this.overflowing];
    return {
      items: this.pending.length + batches.reduce((n, b) => n + (b?.items.length ?? 0), 0),
      bytes: this.pendingBytes + batches.reduce((n, b) => n + (b?.bytes ?? 0), 0),
    };
  }

  /** Takes the item unless holding it would exceed `capacity`; never waits. */
  add(item: T): boolean {
    const bytes = this.sizeOf(item);
    const held = this.held;
    const { items: maxItems, bytes: maxBytes } = this.options.capacity;
    if (maxItems !== undefined && held.items + 1 > maxItems) return false;
    if (maxBytes !== undefined && held.bytes + bytes > maxBytes) return false;
    this.pending.push(item);
    this.pendingBytes += bytes;
    if (this.shouldOverflow()) this.startOverflow();
    else if (this.reached(this.options.sendAt) && !this.backingOff) void this.flush();
    else this.schedule(this.options.delayMs);
    return true;
  }

  /** Sends the next batch (the failed one first) unless a send is in flight; resolves when that send settles. */
  flush(): Promise<void> {
    this.clearTimer();
    if (this.sending) return this.sending;
    const batch = this.retry ?? this.take();
    if (!batch) return Promise.resolve();
    this.retry = null;
    this.backingOff = false;
    this.inFlight = batch;
    const sending = attempt(() => this.options.send(batch))
      .catch((err: unknown) => {
        if (this.inFlight !== batch) return; // handed to the drain fallback meanwhile
        this.retry = batch;
        this.options.onFailure?.(err, batch);
      })
      .finally(() => {
        if (this.sending === sending) this.sending = null;
        if (this.inFlight === batch) this.inFlight = null;
        if (this.retry) this.backOff();
        else if (this.pending.length > 0) this.schedule(0);
      });
    this.sending = sending;
    return sending;
  }

  /**
   * Sends everything held before a shutdown, retrying failed batches, until `deadlineMs` passes or `unreachable`
   * says the destination is gone. Then `fallback` gets every item still held (the batch being sent included:
   * it may still arrive, so the destination should tolerate a duplicate) and the batcher forgets them.
   */
  async drain(
    deadlineMs: number,
    fallback: (items: T[]) => Promise<void>,
    unreachable: () => boolean = () => false,
  ): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.pending.length > 0 || this.retry || this.sending || this.overflowSending) {
      const left = until - Date.now();
      if (left <= 0 || unreachable()) return this.fallBack(fallback);
      await Promise.race([Promise.all([this.flush(), this.overflowSending]), sleep(Math.min(left, 1000))]);
      if (this.retry && !this.sending) await sleep(Math.min(100, this.options.retryMs));
    }
    this.clearTimer();
  }

  private async fallBack(fallback: (items: T[]) => Promise<void>): Promise<void> {
    const batches = [this.inFlight, this.overflowing, this.retry];
    const items = [...batches.flatMap((b) => b?.items ?? []), ...this.pending];
    this.inFlight = null;
    this.overflowing = null;
    this.retry = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.backingOff = false;
    this.clearTimer();
    if (items.length > 0) await fallback(items);
  }

  private reached(limits: BatchLimits): boolean {
    return (
      (limits.items !== undefined && this.pending.length >= limits.items) ||
      (limits.bytes !== undefined && this.pendingBytes >= limits.bytes)
    );
  }

  /** The next batch from the waiting items, oldest first, within `batchMax`. */
  private take(): Batch<T> | null {
    if (this.pending.length === 0) return null;
    const { items: maxItems = Infinity, bytes: maxBytes = Infinity } = this.batchMax;
    let bytes = 0;
    let n = 0;
    while (n < this.pending.length && n < maxItems && bytes < maxBytes) bytes += this.sizeOf(this.pending[n++]);
    const items = this.pending.splice(0, n);
    this.pendingBytes -= bytes;
    return { id: this.options.newBatchId?.() ?? String(++this.seq), items, bytes };
  }

  private shouldOverflow(): boolean {
    const overflow = this.options.overflow;
    return (
      overflow !== undefined &&
      this.sending !== null &&
      this.overflowSending === null &&
      this.pending.length >= overflow.atItems &&
      Date.now() >= this.overflowPausedUntil
    );
  }

  private startOverflow(): void {
    const batch = this.take();
    if (!batch || !this.options.overflow) return;
    const overflow = this.options.overflow;
    this.overflowing = batch;
    const sending = attempt(() => overflow.send(batch))
      .catch((err: unknown) => {
        if (this.overflowing !== batch) return;
        this.pending = batch.items.concat(this.pending);
        this.pendingBytes += batch.bytes;
        this.overflowPausedUntil = Date.now() + this.options.retryMs;
        this.options.onFailure?.(err, batch);
      })
      .finally(() => {
        if (this.overflowSending === sending) this.overflowSending = null;
        if (this.overflowing === batch) this.overflowing = null;
        if (this.pending.length === 0) return;
        // the send still hangs: keep taking what arrived meanwhile
        if (this.sending && Date.now() >= this.overflowPausedUntil) this.startOverflow();
        else if (!this.sending && !this.backingOff) this.schedule(0);
      });
    this.overflowSending = sending;
  }

  private schedule(ms: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms).unref();
  }

  private backOff(): void {
    this.clearTimer();
    this.backingOff = true;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.options.retryMs).unref();
  }

  private clearTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
  }
}
