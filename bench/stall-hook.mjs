// Loaded into a gateway process by `lone-outliers.mjs` (`node --import=./bench/stall-hook.mjs ...`): records every
// garbage collection (start, duration, kind) and every gap of more than 3 ms between the ticks of a 1 ms timer (the
// event loop held, or the process not running), with wall-clock times, and writes them to $STALL_OUT on SIGUSR2.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const records = [];
const origin = performance.timeOrigin;
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    records.push({ type: 'gc', at: origin + e.startTime, ms: e.duration, kind: KINDS[e.detail?.kind] ?? 'other' });
}).observe({ entryTypes: ['gc'] });
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > 3) records.push({ type: 'stall', at: origin + last, ms: now - last });
  last = now;
}, 1).unref();
process.on('SIGUSR2', () => writeFileSync(process.env.STALL_OUT, JSON.stringify(records)));
