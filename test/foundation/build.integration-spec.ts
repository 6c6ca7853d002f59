import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '#test/utils/processes';

function build(): { status: number | null; output: string } {
  const run = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', env: process.env });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** `npm start` and `npm test` build first: that build must not empty dist/ under a running CLI or process. */
describe('npm run build', () => {
  it('keeps unchanged outputs in place and prunes outputs whose source is gone, after the build succeeded', () => {
    expect(build().status).toBe(0);
    const cli = join(ROOT, 'dist/src/cli.js');
    const before = statSync(cli);
    const staleFile = join(ROOT, `dist/src/stale-probe-${process.pid}.js`);
    const staleDir = join(ROOT, `dist/src/stale-dir-${process.pid}`);
    writeFileSync(staleFile, '// left by a deleted source file\n');
    mkdirSync(staleDir);
    writeFileSync(join(staleDir, 'gone.js.map'), '{}');

    const second = build();

    expect(second.status).toBe(0);
    const after = statSync(cli);
    expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({ ino: before.ino, mtimeMs: before.mtimeMs });
    // (not asserting the build's "removed N stale file(s)" line: npm-start's build may run alongside and prune them first)
    expect([existsSync(staleFile), existsSync(join(staleDir, 'gone.js.map'))]).toEqual([false, false]);
  });
});
