import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { parseAllDocuments, parseDocument } from 'yaml';
import { ROOT } from '#test/utils/processes';

/** Helpers shared by the test/deploy specs: the manifests as parsed objects, and what a pod would see. */

export const K8S_DIR = join(ROOT, 'deploy/kubernetes');
export const KUSTOMIZATION = 'kustomization.yaml';
/** A template with placeholders, deliberately left out of kustomization.yaml. */
export const SECRET_EXAMPLE = 'secret.example.yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Manifest {
  file: string;
  object: K8sObject;
}

/** Every Kubernetes manifest file in deploy/kubernetes (kustomization.yaml is kustomize's, not the API's). */
export function manifestFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION)
    .sort();
}

/** Parses YAML strictly: syntax errors, duplicate keys and warnings all throw, naming the file. */
export function parseYaml(file: string, text: string): unknown[] {
  return parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true })
    .filter((doc) => doc.contents !== null)
    .map((doc) => {
      const problems = [...doc.errors, ...doc.warnings];
      if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
      return doc.toJS() as unknown;
    });
}

export function loadManifests(): Manifest[] {
  return manifestFiles().flatMap((file) =>
    parseYaml(file, readFileSync(join(K8S_DIR, file), 'utf8')).map((object) => ({ file, object: object as K8sObject })),
  );
}

export function loadKustomization(): {
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
} {
  return parseDocument(readFileSync(join(K8S_DIR, KUSTOMIZATION), 'utf8')).toJS() as ReturnType<
    typeof loadKustomization
  >;
}

export function byKind<T>(manifests: Manifest[], kind: string): (T & K8sObject)[] {
  return manifests.filter((m) => m.object.kind === kind).map((m) => m.object as T & K8sObject);
}

export function named<T>(manifests: Manifest[], kind: string, name: string): T & K8sObject {
  const found = byKind<T>(manifests, kind).find((o) => o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} in deploy/kubernetes`);
  return found;
}

export const API = 'llm-gateway-api';
export const WORKER = 'llm-gateway-worker';
export const MIGRATE_JOB = 'llm-gateway-migrate';

/** The pod templates of every workload (Deployments and Jobs), with the object that owns each. */
export function podTemplates(manifests: Manifest[]): { owner: K8sObject; template: IPodTemplateSpec }[] {
  return [
    ...byKind<IDeployment>(manifests, 'Deployment').map((d) => ({ owner: d, template: d.spec!.template })),
    ...byKind<IJob>(manifests, 'Job').map((j) => ({ owner: j, template: j.spec!.template })),
  ];
}

export function containersOf(template: IPodTemplateSpec): IContainer[] {
  return [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])];
}

/** The single application container of a workload. */
export function mainContainer(workload: { spec?: { template: IPodTemplateSpec } }): IContainer {
  const containers = workload.spec!.template.spec!.containers;
  if (containers.length !== 1) throw new Error('expected exactly one container');
  return containers[0];
}

function secretValues(secret: ISecret): Record<string, string> {
  const decoded = Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
  return { ...decoded, ...(secret.stringData ?? {}) };
}

/** Values the downward API would give a pod; the names are what a real pod of that owner would get. */
function fieldRefValue(fieldPath: string, owner: K8sObject): string {
  switch (fieldPath) {
    case 'metadata.name':
      return `${owner.metadata.name}-7d9f8b6c4d-x2kqp`;
    case 'metadata.namespace':
      return owner.metadata.namespace ?? 'default';
    default:
      throw new Error(`fieldRef ${fieldPath} is not simulated by the test`);
  }
}

/**
 * The environment a container starts with, resolved the way the kubelet does: `envFrom` sources in order
 * (ConfigMap data, Secret values; the Secret from secret.example.yaml), then `env` entries, which win.
 * `sources` records where each name came from, for the downward-API checks.
 */
export function containerEnv(
  container: IContainer,
  owner: K8sObject,
  manifests: Manifest[],
): { env: Record<string, string>; sources: Record<string, string> } {
  const env: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const values = from.configMapRef
      ? (named<IConfigMap>(manifests, 'ConfigMap', from.configMapRef.name!).data ?? {})
      : from.secretRef
        ? secretValues(named<ISecret>(manifests, 'Secret', from.secretRef.name!))
        : {};
    for (const [k, v] of Object.entries(values)) {
      env[`${from.prefix ?? ''}${k}`] = v;
      sources[`${from.prefix ?? ''}${k}`] = from.configMapRef ? 'configMap' : 'secret';
    }
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom;
    if (ref?.fieldRef) {
      env[e.name] = fieldRefValue(ref.fieldRef.fieldPath, owner);
      sources[e.name] = `fieldRef:${ref.fieldRef.fieldPath}`;
    } else if (ref?.configMapKeyRef) {
      env[e.name] =
        named<IConfigMap>(manifests, 'ConfigMap', ref.configMapKeyRef.name!).data?.[ref.configMapKeyRef.key] ?? '';
      sources[e.name] = 'configMap';
    } else if (ref?.secretKeyRef) {
      env[e.name] =
        secretValues(named<ISecret>(manifests, 'Secret', ref.secretKeyRef.name!))[ref.secretKeyRef.key] ?? '';
      sources[e.name] = 'secret';
    } else {
      env[e.name] = e.value ?? '';
      sources[e.name] = 'value';
    }
  }
  return { env, sources };
}

/** A probe's or Service's port, by number or by the container port's name. */
export function resolvePort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** True when every key/value of `selector` is among `labels` (a matchLabels / Service selector match). */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
