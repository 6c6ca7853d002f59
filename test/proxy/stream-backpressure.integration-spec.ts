import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TOTAL_BYTES = 256 * 1024 * 1024;
/** What may sit in buffers between the provider and a client that reads nothing: sockets and streams. */
const BOUND_BYTES = 16 * 1024 * 1024;

/**
 * An OpenAI-format upstream that streams as fast as the gateway reads, up to TOTAL_BYTES of chunks, and
 * counts the bytes its socket accepted: with backpressure honoured it stalls once the buffers fill.
 */
class FloodUpstream {
  sent = 0;
  url = '';
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => void this.flood(res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async flood(res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const words = 'lorem ipsum dolor sit amet '.repeat(40);
    const chunk = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: words }, finish_reason: null }] })}\n\n`;
    while (this.sent < TOTAL_BYTES && !res.destroyed) {
      this.sent += chunk.length;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }
}

/** Issue 14 item 11: the SSE relay stops reading the provider while a slow client's socket is full. */
describe('streaming to a client that does not read', () => {
  let api: TestApp;
  let upstream: FloodUpstream;
  let socket: Socket | undefined;

  beforeAll(async () => {
    await resetState();
    upstream = await new FloodUpstream().start();
    api = await startApi();
  });
  afterAll(async () => {
    socket?.destroy();
    await api.close();
    await upstream.stop();
  });

  it("holds the provider's stream back: bytes sent stay bounded while the client reads nothing", async () => {
    const gw = await createGateway(api, upstream.url);
    const body = JSON.stringify({ model: gw.model, stream: true, messages: [{ role: 'user', content: 'flood me' }] });
    const url = new URL(api.url);
    socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    let received = 0;
    socket.on('data', (d: Buffer) => {
      received += d.length;
      socket!.pause(); // read the first bytes, then nothing more
    });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${gw.key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await waitFor(async () => (received > 0 ? true : undefined), 10_000, 20);
    // give the provider time to fill every buffer on the way, then check it is stuck, not still sending
    await sleep(3000);
    const stalledAt = upstream.sent;
    await sleep(1000);
    expect(stalledAt).toBeLessThan(BOUND_BYTES);
    expect(upstream.sent - stalledAt).toBeLessThan(1024 * 1024);
  }, 30_000);
});
