// What reading a provider answer through undici costs per request: `pool.stream()` into a Writable (as the gateway
// does) against `pool.dispatch()` with a plain handler, both with an AbortSignal, 16 in flight, client and server in
// one process. Run by hand: `taskset -c 0 node bench/undici-dispatch.mjs`.
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { Pool } from 'undici';
const body = JSON.stringify({
  id: 'x',
  choices: [{ message: { role: 'assistant', content: 'Hello there! How can I help you today?' } }],
  usage: { prompt_tokens: 12 },
});
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const reqBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello' }],
  max_tokens: 64,
});
const headers = { 'content-type': 'application/json', authorization: 'Bearer x' };

class Collector extends Writable {
  chunks = [];
  _write(c, e, cb) {
    this.chunks.push(c);
    cb();
  }
}
async function viaStream(pool) {
  const ac = new AbortController();
  let status = 0;
  const col = new Collector();
  await pool.stream(
    { method: 'POST', path: '/v1/chat/completions', headers, body: reqBody, signal: ac.signal, opaque: null },
    ({ statusCode }) => {
      status = statusCode;
      return col;
    },
  );
  if (status !== 200) throw new Error(`status ${status}`);
  return col.chunks.length;
}
function viaDispatch(pool) {
  const ac = new AbortController();
  const signal = ac.signal;
  return new Promise((resolve, reject) => {
    const chunks = [];
    let ctl = null;
    let status = 0;
    const onAbort = () => ctl?.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pool.dispatch(
      { method: 'POST', path: '/v1/chat/completions', headers, body: reqBody },
      {
        onRequestStart(controller) {
          ctl = controller;
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          signal.removeEventListener('abort', onAbort);
          if (status === 200) resolve(chunks.length);
          else reject(new Error(`status ${status}`));
        },
        onResponseError(_controller, err) {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      },
    );
  });
}
async function run(name, fn, total, inflight) {
  const pool = new Pool(origin, { connections: 256, pipelining: 1 });
  let done = 0;
  const worker = async () => {
    while (done < total) {
      done++;
      await fn(pool);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker)); // warm
  done = 0;
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: inflight }, worker));
  const c = process.cpuUsage(c0);
  await pool.close();
  return (c.user + c.system) / total;
}
for (let r = 0; r < 3; r++)
  for (const [n, f] of [
    ['stream', viaStream],
    ['dispatch', viaDispatch],
  ])
    console.log(n, (await run(n, f, 20000, 16)).toFixed(1), 'µs/req (client+server CPU)');
server.close();
