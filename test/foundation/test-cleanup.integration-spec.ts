import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import globalTeardown from '#test/utils/global-teardown';
import { runTmpRoot } from '#test/utils/test-env';

/** `npm test` leaves no folders behind in /tmp: every temporary file lives under the run's folder. */
describe('test run clean-up', () => {
  it("puts the workers' os.tmpdir() under the run's folder", () => {
    expect(tmpdir()).toBe(join(runTmpRoot(), 'tmp'));
  });

  it("removes the run's folder in global teardown", async () => {
    const run = process.env.LLMGW_TEST_RUN;
    const fake = `zz${process.pid}cleanup`;
    const root = runTmpRoot(fake);
    mkdirSync(join(root, 'tmp', 'llmgw-s3-x'), { recursive: true });
    writeFileSync(join(root, 'tmp', 'llmgw-s3-x', 'object'), 'data');
    process.env.LLMGW_TEST_RUN = fake;
    try {
      await globalTeardown();
    } finally {
      process.env.LLMGW_TEST_RUN = run;
    }
    expect(existsSync(root)).toBe(false);
  });
});
