// `npm run build`: an incremental `tsc -b` into dist/ that never empties dist/ first, so a CLI run or a
// second process started meanwhile still finds the previous build. Only after tsc succeeded are
// outputs whose source is gone pruned. noEmitOnError (tsconfig.build.json) keeps a failed build from
// writing anything. Then the console (scripts/console-build.mjs): OpenAPI document, generated API types, webui
// type-check and Vite build into dist/webui/. `--api-types` stops after the types (lint and typecheck need them).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildConsole, generateApiTypes } from './console-build.mjs';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist');
const SOURCE_DIRS = ['src', 'migrations'];
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** dist/<dir>/x.js (and .js.map) for every <dir>/x.ts that the build compiles. */
function expectedOutputs() {
  const expected = new Set();
  for (const dir of SOURCE_DIRS)
    for (const file of files(join(ROOT, dir))) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.endsWith('.d.ts')) continue;
      const base = join(OUT, relative(ROOT, file)).slice(0, -'.ts'.length);
      expected.add(`${base}.js`).add(`${base}.js.map`);
    }
  return expected;
}

function tsc(...args) {
  return spawnSync(process.execPath, [TSC, '-b', 'tsconfig.build.json', ...args], { cwd: ROOT, stdio: 'inherit' })
    .status;
}

let status = tsc();
if (status !== 0) process.exit(status ?? 1);
const expected = expectedOutputs();
// tsc -b trusts its build info: an output deleted by hand is only rewritten by a forced build
if ([...expected].some((file) => !existsSync(file))) {
  status = tsc('--force');
  if (status !== 0) process.exit(status ?? 1);
}
const stale = SOURCE_DIRS.flatMap((dir) => files(join(OUT, dir))).filter((file) => !expected.has(file));
for (const file of stale) rmSync(file);
if (stale.length > 0) console.log(`build: removed ${stale.length} stale file(s) from dist/`);

if (process.argv.includes('--api-types')) await generateApiTypes();
else process.exitCode = await buildConsole();
