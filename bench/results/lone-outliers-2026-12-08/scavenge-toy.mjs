// allocation like a call: ~60 KB of small objects and strings per iteration, the last K iterations kept alive
const K = Number(process.argv[2] ?? 16);
const keep = [];
let sink = 0;
const t0 = Date.now();
while (Date.now() - t0 < 8000) {
  const call = [];
  for (let i = 0; i < 400; i++) call.push({ id: `c${i}-${Math.random()}`, n: i, arr: [i, i + 1, i + 2], s: 'x'.repeat(40) + i });
  keep.push(call);
  if (keep.length > K) keep.shift();
  sink += call.length;
}
console.log('done', sink);
