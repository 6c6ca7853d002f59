import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { basename, join } from 'node:path';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CONSOLE_ASSETS, CONSOLE_CSP, ConsoleAppController } from '#src/modules/console/console-app.controller';
import { ConsoleAssets } from '#src/modules/console/console-assets';

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The controller alone on a loopback port; `get` fetches a path (redirects not followed). */
async function serve(
  dir: string,
): Promise<{ app: NestFastifyApplication; get: (url: string, headers?: Record<string, string>) => Promise<Answer> }> {
  const module = await Test.createTestingModule({
    controllers: [ConsoleAppController],
    providers: [{ provide: CONSOLE_ASSETS, useValue: new ConsoleAssets(dir) }],
  }).compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const get = async (url: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${base}${url}`, { headers, redirect: 'manual' });
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  };
  return { app, get };
}

/** A GET with the path exactly as given (no normalisation of `..` or `%2e`). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(new URL(base).port), path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
let base = '';

describe('ConsoleAppController', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let get: (url: string, headers?: Record<string, string>) => Promise<Answer>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><script type="module" src="/ui/assets/index-abc123.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    ({ app, get } = await serve(dir));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves hashed assets immutable for a year and index.html revalidated, both under the CSP', async () => {
    const js = await get('/ui/assets/index-abc123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log("app")');
    const page = await get('/ui/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const res of [js, page]) {
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe-(eval|inline)/);
  });

  it('answers every client route with index.html, but a missing asset with 404', async () => {
    const route = await get('/ui/keys/123/edit');
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('index-abc123.js');
    expect((await get('/ui/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
    expect((await get('/ui/assets/index-old999.js')).statusCode).toBe(404);
  });

  it('never serves a file outside the build', async () => {
    // a secret next to the build; fetch would normalise `..` away, so the paths go out as written
    writeFileSync(join(dir, '..', `${basename(dir)}-secret.txt`), 'canary-outside-the-build');
    for (const path of [
      `/ui/../${basename(dir)}-secret.txt`,
      `/ui/%2e%2e/${basename(dir)}-secret.txt`,
      '/ui/assets/../../../etc/passwd',
    ]) {
      const res = await rawGet(path);
      expect(res.body).not.toContain('canary-outside-the-build');
      expect(res.body).not.toContain('root:');
      // a path outside the build is at most a client route: the app's page, or no file at all
      if (res.status === 200) expect(res.body).toContain('index-abc123.js');
    }
    rmSync(join(dir, '..', `${basename(dir)}-secret.txt`), { force: true });
  });

  it('answers 304 to a matching ETag and redirects / and /ui to /ui/', async () => {
    const first = await get('/ui/assets/index-abc123.js');
    const again = await get('/ui/assets/index-abc123.js', { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await get('/')).headers.location).toBe('/ui/');
    expect((await get('/ui')).headers.location).toBe('/ui/');
  });

  it('says how to build the console when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'webui-empty-'));
    const bare = await serve(empty);
    const res = await bare.get('/ui/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await bare.app.close();
    rmSync(empty, { recursive: true, force: true });
  });
});
