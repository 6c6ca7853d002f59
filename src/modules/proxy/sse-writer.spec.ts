import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import { SseWriter } from '#src/modules/proxy/sse-writer';

/**
 * SseWriter on a real HTTP server: the headers leave with the first event in one socket write (a lone stream's
 * first byte costs one write and one wake-up of the client, not two), and the answer reads back as sent.
 */
describe('SseWriter', () => {
  let server: Server;
  let url: string;
  let writes: string[][];
  let firstEventCalls: number;

  /** Records every write the response's socket hands to the kernel, as the text of its chunks. */
  const recordWrites = (socket: Socket): void => {
    const s = socket as unknown as {
      _writeGeneric: (writev: boolean, data: unknown, encoding: string, cb: unknown) => void;
    };
    const original = s._writeGeneric.bind(socket);
    s._writeGeneric = (writev, data, encoding, cb) => {
      const chunks = writev ? (data as { chunk: unknown }[]).map((c) => c.chunk) : [data];
      writes.push(chunks.map((c) => (Buffer.isBuffer(c) ? c.toString('latin1') : String(c))));
      original(writev, data, encoding, cb);
    };
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      recordWrites(res.socket!);
      const sse = new SseWriter(
        res,
        () => ({ 'x-test': 'yes' }),
        () => firstEventCalls++,
      );
      sse.write('data: {"n":1}\n\n');
      setTimeout(() => {
        sse.write('data: {"n":2}\n\n');
        sse.end('data: [DONE]\n\n');
      }, 20);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  beforeEach(() => {
    writes = [];
    firstEventCalls = 0;
  });

  it('sends the status line, the headers and the first event in one socket write', async () => {
    const res = await request(url);
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-test']).toBe('yes');
    expect(text).toBe('data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    const first = writes[0].join('');
    expect(first.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(first).toContain('x-test: yes\r\n');
    expect(first).toContain('data: {"n":1}\n\n');
    expect(firstEventCalls).toBe(1);
  });
});
