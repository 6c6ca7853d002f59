/**
 * Audit object names (SPEC §8): `{prefix}YYYY/MM/DD/{pod}-{unix-ms}-{nanos}.jsonl.gz`, the UTC date and time
 * of when the batch was taken; `{nanos}` is the sub-millisecond part in nanoseconds (six digits), unique
 * within the process even when two batches are taken in the same nanosecond reading.
 */
export class AuditObjectKeys {
  private lastMs = 0;
  private lastNanos = -1;

  constructor(
    private readonly prefix: string,
    private readonly pod: string,
    private readonly clock: () => { ms: number; nanos: number } = hrClock,
  ) {}

  next(): string {
    let { ms, nanos } = this.clock();
    if (ms < this.lastMs || (ms === this.lastMs && nanos <= this.lastNanos)) {
      ms = this.lastMs;
      nanos = this.lastNanos + 1;
      if (nanos > 999_999) {
        ms += 1;
        nanos = 0;
      }
    }
    this.lastMs = ms;
    this.lastNanos = nanos;
    return objectKey(this.prefix, this.pod, ms, nanos);
  }
}

export function objectKey(prefix: string, pod: string, ms: number, nanos: number): string {
  const d = new Date(ms);
  const day = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}`;
  return `${prefix}${day}/${pod}-${ms}-${pad(nanos, 6)}.jsonl.gz`;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Wall-clock milliseconds plus the sub-millisecond nanoseconds of the monotonic clock. */
function hrClock(): { ms: number; nanos: number } {
  return { ms: Date.now(), nanos: Number(process.hrtime.bigint() % 1_000_000n) };
}
