import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Jest runs from the repository root (jest.config.mjs `rootDir: '.'`). */
const CORE = join(process.cwd(), 'src', 'core');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier of a file: static and type imports, re-exports, dynamic `import()` and `require()`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const pattern of [/\bfrom\s+'([^']+)'/g, /\bimport\s+'([^']+)'/g, /\b(?:import|require)\(\s*'([^']+)'\s*\)/g])
    for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** `#src/modules/...`, `src/modules/...` or a relative path that climbs out of core into a feature. */
function reachesAFeature(file: string, specifier: string): boolean {
  if (/^(#src|src)\/modules(\/|$)/.test(specifier)) return true;
  if (!specifier.startsWith('.')) return false;
  return relative(join(process.cwd(), 'src', 'modules'), join(file, '..', specifier)).split(/[\\/]/)[0] !== '..';
}

describe('core layering', () => {
  it('finds the core files it checks', () => {
    expect(tsFiles(CORE).map((f) => relative(CORE, f))).toEqual(
      expect.arrayContaining(['core.module.ts', join('database', 'database.module.ts')]),
    );
  });

  it('recognises an import of a feature, however it is spelled', () => {
    const file = join(CORE, 'database', 'x.ts');
    const lines = [
      "import { A } from '#src/modules/a/a';",
      "import type { B } from 'src/modules/b/b';",
      "export { C } from '../../modules/c/c';",
      "const d = await import('#src/modules/d/d');",
      "import { E } from '#src/core/e';",
    ];
    expect(lines.map((line) => specifiers(line).map((s) => reachesAFeature(file, s)))).toEqual([
      [true],
      [true],
      [true],
      [true],
      [false],
    ]);
  });

  it('keeps src/core free of imports from src/modules: core knows no feature', () => {
    // this file's own examples above are strings, not imports
    const checked = tsFiles(CORE).filter((file) => !file.endsWith('core-layering.spec.ts'));
    const offending = checked.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => reachesAFeature(file, specifier))
        .map((specifier) => `${relative(process.cwd(), file)} imports ${specifier}`),
    );
    expect(offending).toEqual([]);
  });
});
