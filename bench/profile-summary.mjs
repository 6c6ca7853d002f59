// Summarises a V8 CPU profile of the gateway (`npm run bench -- --profile DIR` writes one) for bench/README:
// busy time by package (native work such as socket writes charged to the package that asked for it), and
// folded stacks (`frame;frame;frame samples`, the input of flamegraph.pl, speedscope or inferno) of the busy
// samples. Run by hand: `node bench/profile-summary.mjs PROFILE [--skip S] [--folded OUT] [--min PCT]`.
import { readFileSync, writeFileSync } from 'node:fs';
import { cliArgs } from './lib.mjs';

const { args, option } = cliArgs();
const file = args.find((a) => !a.startsWith('--') && a.endsWith('.cpuprofile'));
if (!file) throw new Error('usage: node bench/profile-summary.mjs PROFILE.cpuprofile [--skip S] [--folded OUT]');
// seconds of start-up (module loading, migrations check, warm-up) left out
const SKIP_S = Number(option('skip', 10));
const FOLDED = option('folded', null);
// stacks below this share of the busy time are left out of the folded file (keeps it small enough to commit)
const MIN_PCT = Number(option('min', 0.02));

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** The package (or `src/...` file, or node: module) a frame belongs to. */
function packageOf(frame) {
  const url = frame.url;
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/src/')) return `src/${url.split('/dist/src/')[1].replace(/\.js$/, '')}`;
  return url;
}

const busy = new Map();
let total = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  if (t - profile.startTime < SKIP_S * 1e6) continue;
  const id = profile.samples[i];
  if (nodes.get(id).callFrame.functionName === '(idle)') continue;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  total += dt;
  busy.set(id, (busy.get(id) ?? 0) + dt);
}

const byPackage = new Map();
const folded = new Map();
for (const [id, dt] of busy) {
  const stack = [];
  let owner = '';
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = nodes.get(cur).callFrame;
    const pkg = packageOf(frame);
    // native and node: frames are charged to the nearest package or gateway file above them
    if (!owner && pkg && !pkg.startsWith('node:')) owner = pkg;
    if (frame.functionName !== '(root)') stack.push(`${frame.functionName || '(anonymous)'} ${pkg}`.trim());
  }
  owner ||= nodes.get(id).callFrame.functionName;
  if (owner.startsWith('src/')) owner = 'the gateway’s own code (src/)';
  byPackage.set(owner, (byPackage.get(owner) ?? 0) + dt);
  const line = stack.reverse().join(';');
  folded.set(line, (folded.get(line) ?? 0) + dt);
}

const pct = (v) => ((100 * v) / total).toFixed(1);
console.log(`busy ${(total / 1e6).toFixed(2)} s after the first ${SKIP_S} s\n`);
console.log('| package (native work charged to its caller) | share of busy time |\n| --- | ---: |');
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`| ${k} | ${pct(v)} % |`);
if (FOLDED) {
  const lines = [...folded]
    .filter(([, v]) => (100 * v) / total >= MIN_PCT)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${Math.round(v)}`);
  writeFileSync(FOLDED, `${lines.join('\n')}\n`);
  console.log(`\nfolded stacks (µs, stacks of at least ${MIN_PCT} %): ${FOLDED}`);
}
