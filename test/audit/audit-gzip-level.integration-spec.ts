import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AuditStore, FileAuditStore, S3AuditStore } from '#src/modules/audit/audit-store';
import { testConfig } from '#test/utils/app';
import { TestS3 } from '#test/utils/s3';

// Records as compressible as real ones: the same long prompt in every line, as a coding agent sends it.
const PROMPT = 'You are a careful coding assistant. Read the repository before you change it. '.repeat(200);
const LINES = Array.from({ length: 200 }, (_, i) =>
  JSON.stringify({ call_id: `call-${i}`, request_body: { messages: [{ role: 'system', content: PROMPT }] }, n: i }),
);

async function* pages(): AsyncIterable<string[]> {
  yield LINES.slice(0, 120);
  yield LINES.slice(120);
}

/** gzip's XFL header byte: 4 when written at level 1 (fastest), 2 at level 9 (smallest), 0 in between. */
const xfl = (gz: Buffer): number => gz[8];

describe('the gzip level of audit log objects (LOGGING_SINK_GZIP_LEVEL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llmgw-gzip-'));
  const s3 = new TestS3();

  beforeAll(() => s3.start());
  afterAll(async () => {
    await s3.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const fileObject = async (level: string | null): Promise<Buffer> => {
    const config = testConfig({ DATA_DIR: dataDir, ...(level ? { LOGGING_SINK_GZIP_LEVEL: level } : {}) });
    const store: AuditStore = new FileAuditStore(config);
    await store.put(`level-${level ?? 'default'}.jsonl.gz`, pages());
    return readFileSync(join(dataDir, 'logs', `level-${level ?? 'default'}.jsonl.gz`));
  };

  it('writes files at the configured level, the fastest by default, with every line intact', async () => {
    const byDefault = await fileObject(null);
    const fastest = await fileObject('1');
    const smallest = await fileObject('9');
    for (const gz of [byDefault, fastest, smallest]) expect(gunzipSync(gz).toString()).toBe(`${LINES.join('\n')}\n`);
    expect(xfl(byDefault)).toBe(4);
    expect(xfl(fastest)).toBe(4);
    expect(xfl(smallest)).toBe(2);
    expect(smallest.length).toBeLessThan(fastest.length);
  });

  it('uploads S3 objects at the configured level', async () => {
    const config = testConfig({ ...s3.env(), LOGGING_SINK_GZIP_LEVEL: '9' });
    const store = new S3AuditStore(config);
    try {
      await store.put('logs/level-9.jsonl.gz', pages());
    } finally {
      store.close();
    }
    const [object] = await s3.objects('logs/level-9');
    expect(object.text).toBe(`${LINES.join('\n')}\n`);
    expect(xfl(object.raw)).toBe(2);
  });

  it('refuses a level outside 1–9 at start-up', () => {
    expect(() => testConfig({ LOGGING_SINK_GZIP_LEVEL: '0' })).toThrow(/LOGGING_SINK_GZIP_LEVEL/);
    expect(() => testConfig({ LOGGING_SINK_GZIP_LEVEL: '10' })).toThrow(/LOGGING_SINK_GZIP_LEVEL/);
  });
});
