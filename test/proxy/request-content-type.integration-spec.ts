import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

/** `curl -d '{...}'` without `-H 'content-type: application/json'` sends form-urlencoded: say so, not "no model". */
describe('proxy: a JSON body sent without content-type application/json', () => {
  let api: TestApp;
  let key: string;

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    key = (await createKey(api)).key;
  });
  afterAll(() => api.close());

  const post = (path: string, contentType: string | null, body: string): Promise<Response> =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });

  it.each([
    ['/v1/chat/completions', 'application/x-www-form-urlencoded'],
    ['/v1/chat/completions', 'text/plain;charset=UTF-8'],
    ['/v1/embeddings', 'application/x-www-form-urlencoded'],
  ])('%s with %s answers 400 naming the header, in OpenAI error shape', async (path, contentType) => {
    const res = await post(path, contentType, JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', messages: [] }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: `The request body must be JSON sent with the header 'content-type: application/json' (got '${contentType.split(';')[0].toLowerCase()}').`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
    });
  });

  it('still reads application/json with a charset parameter', async () => {
    const res = await post('/v1/chat/completions', 'application/json; charset=utf-8', JSON.stringify({ messages: [] }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_required_parameter');
  });
});
