/** Thrown by ConcurrencyGate.run when every slot and every waiting place is taken. */
export class GateFullError extends Error {
  constructor() {
    super('concurrency gate full');
  }
}

/**
 * At most `maxActive` tasks run at once and at most `maxWaiting` wait for a slot (first come, first served);
 * beyond that a task is refused at once with GateFullError instead of queueing without bound.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {}

  get activeCount(): number {
    return this.active;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.maxActive) this.active++;
    else if (this.waiting.length < this.maxWaiting) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw new GateFullError();
    try {
      return await task();
    } finally {
      // hand the slot straight to the next waiter, so a newcomer cannot overtake the queue
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
