import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Node resolves `#src/*`, `#migrations/*` and `#test/*` through package.json `imports`; tools that read only
 * tsconfig.json (IDEs, ts-node-like runners, linters' resolvers) need the same aliases as `compilerOptions.paths`.
 */
describe('import aliases', () => {
  const imports = (JSON.parse(readFileSync('package.json', 'utf8')) as { imports: Record<string, { types: string }> })
    .imports;
  const parsed = ts.getParsedCommandLineOfConfigFile(
    'tsconfig.json',
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  ) as ts.ParsedCommandLine;

  it('maps in tsconfig.json paths every alias of package.json imports, to the same source files', () => {
    const paths = Object.fromEntries(
      Object.entries(parsed.options.paths ?? {}).map(([alias, targets]) => [alias, targets.map((t) => `${t}.ts`)]),
    );
    const fromImports = Object.fromEntries(Object.entries(imports).map(([alias, target]) => [alias, [target.types]]));
    expect(paths).toEqual(fromImports);
  });

  it('resolves each alias from tsconfig.json alone, without the package.json imports map', () => {
    // node10 resolution ignores package.json `imports`: only `paths` can resolve these
    const options = { ...parsed.options, moduleResolution: ts.ModuleResolutionKind.Node10 };
    const resolve = (name: string): string | undefined =>
      ts.resolveModuleName(name, `${process.cwd()}/src/main.ts`, options, ts.sys).resolvedModule?.resolvedFileName;
    expect(['#src/core/core.module', '#migrations/migrations', '#test/utils/app'].map(resolve)).toEqual([
      `${process.cwd()}/src/core/core.module.ts`,
      `${process.cwd()}/migrations/migrations.ts`,
      `${process.cwd()}/test/utils/app.ts`,
    ]);
  });
});
