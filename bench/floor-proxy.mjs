// The floor: a minimal reverse proxy with undici's pool.stream(), no auth, limits, billing or logging.
// Whatever the gateway adds beyond this is the cost of its own pipeline.
// Usage: node bench/floor-proxy.mjs <port> <upstream-url>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.argv[2] ?? 0);
const upstream = new Pool(process.argv[3], { connections: 128, pipelining: 1 });

const server = createServer((req, res) => {
  upstream.stream(
    { path: req.url, method: req.method, headers: { 'content-type': 'application/json' }, body: req },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, { 'content-type': headers['content-type'] ?? 'application/json' });
      return res;
    },
    (err) => {
      if (err && !res.headersSent) {
        res.writeHead(502);
        res.end();
      }
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
