import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { ROOT } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

/** The README's `first-call.mjs` block, exactly as a reader would paste it. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ first-call\.mjs\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```js block starting with // first-call.mjs');
  return block[1];
}

function runNode(file: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('README: the first call with the openai SDK', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  // under the project, so `import 'openai'` resolves as it does after `npm i openai`
  const dir = mkdtempSync(join(ROOT, '.first-call-'));

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs first-call.mjs as pasted: a reply with usage, the streamed text on its own line, the model list', async () => {
    const gw = await createGateway(api, upstream.url);
    const file = join(dir, 'first-call.mjs');
    writeFileSync(file, readmeSnippet().replace('http://localhost:8080/v1', `${api.url}/v1`));

    const { code, out } = await runNode(file, { GATEWAY_KEY: gw.key });

    expect({ code, out: code === 0 ? '' : out }).toEqual({ code: 0, out: '' });
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Hello there! \{/);
    expect(lines).toContain('Hello there, streaming world!');
    expect(lines.at(-1)).toBe("[ 'gpt-4o-mini' ]");
  });
});
