import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, queryString } from './client';
import { ApiError } from './errors';

const respond = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  vi.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(body === undefined ? null : JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json', ...headers },
      }),
  );

afterEach(() => vi.unstubAllGlobals());

describe('api()', () => {
  it('sends the console header and the same-origin cookie, never an Authorization header', async () => {
    const fetch = respond(200, { data: [], total: 0 });
    vi.stubGlobal('fetch', fetch);

    await api('/admin/api-keys', { query: { name: 'search', limit: 50 } });

    const [url, init] = fetch.mock.calls[0];
    const headers = init?.headers as Record<string, string>;
    expect(url).toBe('/admin/api-keys?name=search&limit=50');
    expect(init?.credentials).toBe('same-origin');
    expect(headers['x-requested-with']).toBe('llmgw-console');
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('authorization');
  });

  it('sends a JSON body with its content type and answers undefined for 204', async () => {
    const fetch = respond(204);
    vi.stubGlobal('fetch', fetch);

    await expect(api('/ui/session', { method: 'DELETE' })).resolves.toBeUndefined();
    const post = respond(201, { id: '1' });
    vi.stubGlobal('fetch', post);
    await api('/admin/aliases', { method: 'POST', body: { name: 'fast' } });
    const init = post.mock.calls[0][1];
    expect(init?.body).toBe('{"name":"fast"}');
    expect((init?.headers as Record<string, string>)['content-type']).toBe('application/json');
  });

  it('rejects with the mapped ApiError, validation messages included', async () => {
    vi.stubGlobal(
      'fetch',
      respond(400, { statusCode: 400, message: ['rate_limit must not be less than 0'], error: 'Bad Request' }),
    );

    const err = await api('/admin/api-keys', { method: 'POST', body: {} }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      kind: 'invalid',
      status: 400,
      message: 'Requests per minute must not be less than 0.',
    });
  });

  it('turns a failed fetch into a network error in plain words', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));

    await expect(api('/admin/usage')).rejects.toMatchObject({ kind: 'network', status: 0 });
  });

  it('reads retry-after on 429', async () => {
    vi.stubGlobal(
      'fetch',
      respond(
        429,
        { error: { message: 'Too many failed attempts', type: 'rate_limit', code: 'throttled' } },
        { 'retry-after': '30' },
      ),
    );

    await expect(api('/ui/session', { method: 'POST', body: {} })).rejects.toMatchObject({
      kind: 'throttled',
      retryAfter: 30,
      message: 'Too many attempts. Try again in 30 seconds.',
    });
  });
});

describe('queryString', () => {
  it('repeats arrays and leaves out empty values', () => {
    expect(queryString({ tag: ['team:a', 'env:prod'], name: '', x: undefined, y: null, ok: true })).toBe(
      '?tag=team%3Aa&tag=env%3Aprod&ok=true',
    );
    expect(queryString({})).toBe('');
  });
});
