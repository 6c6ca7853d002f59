// An OTLP/HTTP receiver for the benchmark's traced gateway: takes every export, keeps nothing.
// Usage: node bench/otlp-sink.mjs <port>
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
let spans = 0;
createServer((req, res) => {
  req.on('data', () => spans++);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
}).listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
