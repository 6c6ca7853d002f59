// What compressing audit log objects costs per call at each gzip level (LOGGING_SINK_GZIP_LEVEL): records built
// by the gateway's own `toAuditLine`, with bodies, for the proxy bench's small call and for a coding agent's call
// (a 48 KB system prompt, the same in every call, as in a session). Needs a build.
// `node bench/audit-gzip.mjs [--calls N] [--rounds R]`
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cliArgs, ROOT } from './lib.mjs';

const { option } = cliArgs();
const CALLS = Number(option('calls', 200));
const ROUNDS = Number(option('rounds', 5));
const { toAuditLine } = await import(join(ROOT, 'dist/src/modules/audit/audit-record.js'));
const { JsonText } = await import(join(ROOT, 'dist/src/modules/calls/json-text.js'));

// prompt-like text: the gateway's own TypeScript
const dir = join(ROOT, 'src/modules/proxy');
const source = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(dir, f), 'utf8'))
  .join('\n');

function record(i, request, response) {
  return toAuditLine(
    {
      callId: randomUUID(),
      clientRequestId: null,
      startedAt: new Date(Date.now() + i),
      apiKey: { id: randomUUID(), name: 'bench' },
      provider: { id: randomUUID(), type: 'openai', name: 'fake' },
      model: { name: 'gpt-4o-mini' },
      requestedModel: 'gpt-4o-mini',
      alias: null,
      endpoint: 'chat',
      status: 200,
      errorCode: null,
      stream: false,
      latencyMs: 1 + Math.random(),
      ttftMs: 1 + Math.random(),
      overheadMs: Math.random(),
      usage: { promptTokens: 12, completionTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      costUsd: '0.0000078',
      clientIp: '127.0.0.1',
      userAgent: 'bench',
      requestBody: JsonText.of(Buffer.from(JSON.stringify(request))),
      responseBody: JsonText.of(Buffer.from(JSON.stringify(response))),
    },
    { logBodies: true, bodyMaxBytes: 1 << 20, pod: 'bench-pod' },
  );
}

const answer = (i, content) => ({
  id: `chatcmpl-${randomUUID()}`,
  object: 'chat.completion',
  created: 1_700_000_000 + i,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 },
});

const workloads = {
  'proxy bench call (100-byte prompt)': (i) =>
    record(
      i,
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64 },
      answer(i, 'Hello there! How can I help you today?'),
    ),
  "coding agent's call (48 KB system prompt)": (i) =>
    record(
      i,
      {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: source.slice(0, 48 * 1024) },
          { role: 'user', content: `Fix call ${i}: ${source.slice(i * 300, i * 300 + 2000)}` },
        ],
        max_tokens: 1024,
      },
      answer(i, source.slice(i * 500 + 7000, i * 500 + 9000)),
    ),
};

for (const [name, make] of Object.entries(workloads)) {
  const text = `${Array.from({ length: CALLS }, (_, i) => make(i)).join('\n')}\n`;
  console.log(`${name}: ${Math.round(text.length / CALLS)} bytes per record`);
  for (const level of [1, 3, 6, 9]) {
    gzipSync(text, { level }); // warm-up
    let out;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < ROUNDS; r++) out = gzipSync(text, { level });
    const us = Number(process.hrtime.bigint() - t0) / 1000 / ROUNDS / CALLS;
    console.log(
      `  level ${level}: ${us.toFixed(1)} µs per call, ${(out.length / CALLS / 1024).toFixed(2)} KB per call stored (ratio ${(text.length / out.length).toFixed(1)})`,
    );
  }
}
