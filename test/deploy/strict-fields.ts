import { join } from 'node:path';
import ts from 'typescript';
import type { Manifest } from '#test/deploy/manifests';
import { ROOT } from '#test/utils/processes';

/** Where each kind's TypeScript interface lives in kubernetes-models (import path, interface name). */
const TYPE_OF_KIND: Record<string, string> = {
  'v1/Namespace': 'v1/Namespace',
  'v1/ServiceAccount': 'v1/ServiceAccount',
  'v1/ConfigMap': 'v1/ConfigMap',
  'v1/Secret': 'v1/Secret',
  'v1/Service': 'v1/Service',
  'apps/v1/Deployment': 'apps/v1/Deployment',
  'batch/v1/Job': 'batch/v1/Job',
  'policy/v1/PodDisruptionBudget': 'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler': 'autoscaling/v2/HorizontalPodAutoscaler',
};

/**
 * The JSON schemas kubernetes-models validates against allow unknown fields, but `kubectl apply` (server-side
 * strict field validation, the default since Kubernetes 1.27) refuses them, and a misspelt optional field
 * (`readinesProbe`, `allowPrivilegeEscalaton`) would otherwise pass silently. kubernetes-models also ships a
 * TypeScript interface per kind, so this type-checks every manifest as an object literal against its
 * interface: TypeScript's excess-property check then reports every unknown field, at any depth.
 * Returns one message per problem, naming the file and the object.
 */
export function unknownFieldErrors(manifests: Manifest[]): string[] {
  const fileName = join(ROOT, 'test/deploy/__manifests_as_typescript__.ts');
  const lines: string[] = [];
  const owners: { start: number; label: string }[] = [];
  manifests.forEach(({ object }, i) => {
    const path = TYPE_OF_KIND[`${object.apiVersion}/${object.kind}`];
    if (!path) throw new Error(`no TypeScript interface known for ${object.apiVersion} ${object.kind}`);
    lines.push(`import type { I${object.kind} as T${i} } from 'kubernetes-models/${path}';`);
  });
  manifests.forEach(({ file, object }, i) => {
    owners.push({ start: lines.length + 1, label: `${file} (${object.kind} ${object.metadata.name})` });
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(object, null, 1)};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion)
      : getSourceFile.call(host, name, languageVersion, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file?.fileName !== fileName || d.start === undefined) return message;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line + 1;
    const owner = [...owners].reverse().find((o) => o.start <= line);
    return `${owner?.label ?? 'unknown object'}: ${message}`;
  });
}
