import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { type IJob, Job } from 'kubernetes-models/batch/v1/Job';
import { type IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { type ISecret, Secret } from 'kubernetes-models/v1/Secret';
import { type IService, Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { type AppConfig, ConfigValidationError, loadConfig } from '#src/core/config/app-config';
import {
  API,
  byKind,
  containerEnv,
  containersOf,
  K8S_DIR,
  type K8sObject,
  loadKustomization,
  loadManifests,
  mainContainer,
  type Manifest,
  manifestFiles,
  MIGRATE_JOB,
  named,
  podTemplates,
  resolvePort,
  SECRET_EXAMPLE,
  selects,
  WORKER,
} from '#test/deploy/manifests';
import { unknownFieldErrors } from '#test/deploy/strict-fields';
import { ROOT } from '#test/utils/processes';

type Validatable = { validate(): void };
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

/** Time a pod needs after the in-flight grace period: flushing batches and buffers, closing queues and pools. */
const FLUSH_MARGIN_MS = 10_000;

/** Valid stand-ins for the Secret example's deliberately empty placeholders. */
const FILLED_SECRETS = {
  JWT_SECRET: 'canary-deploy-jwt-secret-9c2e-Hb6Yd1UfJq5VnC7gZr0a',
  ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
  BOOTSTRAP_ADMIN_PASSWORD: 'canary-deploy-admin-password',
};

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  let manifests: Manifest[];
  let api: IDeployment & K8sObject;
  let worker: IDeployment & K8sObject;
  let job: IJob & K8sObject;

  /** What the gateway's own config loader makes of a container's environment, with the Secret filled in. */
  const configOf = (container: IContainer, owner: K8sObject): AppConfig =>
    loadConfig({ ...containerEnv(container, owner, manifests).env, ...FILLED_SECRETS });

  beforeAll(() => {
    manifests = loadManifests();
    api = named<IDeployment>(manifests, 'Deployment', API);
    worker = named<IDeployment>(manifests, 'Deployment', WORKER);
    job = named<IJob>(manifests, 'Job', MIGRATE_JOB);
  });

  it('parses every file as YAML, one or more objects each, without duplicate keys', () => {
    expect(manifestFiles().length).toBeGreaterThanOrEqual(10);
    for (const file of manifestFiles()) expect(manifests.filter((m) => m.file === file).length).toBeGreaterThan(0);
    const ids = manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('validates every object against the Kubernetes schemas of kubernetes-models', () => {
    const failures: string[] = [];
    for (const { file, object } of manifests) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (!Model) {
        failures.push(`${file}: no schema for ${object.apiVersion} ${object.kind}`);
        continue;
      }
      try {
        new Model(object as never).validate();
      } catch (err) {
        failures.push(`${file} (${object.kind} ${object.metadata.name}): ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('has no field the Kubernetes API does not know (what kubectl apply with strict validation refuses)', () => {
    expect(unknownFieldErrors(manifests)).toEqual([]);
  });

  it('puts every object in the llm-gateway namespace with the app labels', () => {
    for (const { object } of manifests) {
      if (object.kind !== 'Namespace')
        expect({ [object.metadata.name]: object.metadata.namespace }).toEqual({
          [object.metadata.name]: 'llm-gateway',
        });
      expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'llm-gateway' });
    }
  });

  it('lists every manifest in kustomization.yaml except the Secret example, and runs one image everywhere', () => {
    const kustomization = loadKustomization();
    expect([...kustomization.resources].sort()).toEqual(manifestFiles().filter((f) => f !== SECRET_EXAMPLE));
    for (const resource of kustomization.resources) expect(existsSync(join(K8S_DIR, resource))).toBe(true);

    const images = podTemplates(manifests).flatMap(({ template }) => containersOf(template).map((c) => c.image));
    expect(images.length).toBeGreaterThanOrEqual(3);
    expect(new Set(images)).toEqual(new Set(['registry.example.com/llm-gateway:0.1.0']));
    expect(kustomization.images?.map((i) => i.name)).toEqual(['registry.example.com/llm-gateway']);
  });

  it('runs dist/src/main.js with RUN_PROCESSORS=false, dist/src/worker.js, and cli.js migrate in the Job', () => {
    expect(mainContainer(api).command).toEqual(['node', 'dist/src/main.js']);
    expect(mainContainer(worker).command).toEqual(['node', 'dist/src/worker.js']);
    expect(mainContainer(job).command).toEqual(['node', 'dist/src/cli.js', 'migrate']);
    // the build (tsc, rootDir ".", outDir "dist") turns src/x.ts into dist/src/x.js
    for (const entry of ['main', 'worker', 'cli']) expect(existsSync(join(ROOT, `src/${entry}.ts`))).toBe(true);
    expect(configOf(mainContainer(api), api).env.RUN_PROCESSORS).toBe(false);
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
  });

  it('runs every pod and the Job with DB_RUN_MIGRATIONS=false, so only the Job’s migrate command migrates', () => {
    const workloads = podTemplates(manifests);
    expect(workloads.map((w) => w.owner.metadata.name).sort()).toEqual([API, MIGRATE_JOB, WORKER].sort());
    for (const { owner, template } of workloads) {
      for (const container of containersOf(template)) {
        expect({ [container.name]: configOf(container, owner).env.DB_RUN_MIGRATIONS }).toEqual({
          [container.name]: false,
        });
        const migrates = container.command?.includes('migrate') || container.args?.includes('migrate');
        expect({ [container.name]: Boolean(migrates) }).toEqual({ [container.name]: owner === job });
      }
    }
  });

  it('gives every container an environment the gateway’s own config validation accepts in production', () => {
    for (const { owner, template } of podTemplates(manifests)) {
      for (const container of containersOf(template)) {
        const config = configOf(container, owner);
        expect(config.production).toBe(true);
        expect(config.env.LOGGING_SINK_S3_BUCKET).not.toBe('');
      }
    }
  });

  it('exposes the API on GATEWAY_HTTP_PORT and the worker on WORKER_HTTP_PORT, each with METRICS_PORT, as the app reads them', () => {
    const apiPorts = mainContainer(api).ports!.map((p) => p.containerPort);
    const workerPorts = mainContainer(worker).ports!.map((p) => p.containerPort);
    const apiConfig = configOf(mainContainer(api), api);
    const workerConfig = configOf(mainContainer(worker), worker);
    expect(apiConfig.env.METRICS_PORT).toBeDefined();
    expect(apiPorts).toEqual([apiConfig.port, apiConfig.env.METRICS_PORT]);
    expect(workerPorts).toEqual([workerConfig.env.WORKER_HTTP_PORT, workerConfig.env.METRICS_PORT]);
    expect(apiPorts[0]).not.toEqual(workerPorts[0]);
  });

  it('probes /health/live (startup, liveness) and /health/ready (readiness) on each process’s own port', () => {
    const cases = [
      { deployment: api, port: (c: AppConfig) => c.port },
      { deployment: worker, port: (c: AppConfig) => c.env.WORKER_HTTP_PORT },
    ];
    for (const { deployment, port } of cases) {
      const container = mainContainer(deployment);
      const expected = port(configOf(container, deployment));
      const probes = {
        startupProbe: container.startupProbe,
        livenessProbe: container.livenessProbe,
        readinessProbe: container.readinessProbe,
      };
      expect(probes.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(probes.readinessProbe?.httpGet?.path).toBe('/health/ready');
      for (const [kind, probe] of Object.entries(probes)) {
        if (!probe) continue;
        expect({ kind, path: probe.httpGet?.path }).toEqual({
          kind,
          path: expect.stringMatching(/^\/health\/(live|ready)$/),
        });
        expect({ kind, port: resolvePort(container, probe.httpGet?.port) }).toEqual({ kind, port: expected });
      }
      // /health/ready gives PostgreSQL and Redis 2 s each; a shorter timeout would fail a healthy pod
      expect(probes.readinessProbe?.timeoutSeconds ?? 1).toBeGreaterThan(2);
    }
  });

  it('gives pods a terminationGracePeriodSeconds longer than SHUTDOWN_DRAIN_DELAY + SHUTDOWN_GRACE_PERIOD', () => {
    for (const deployment of [api, worker]) {
      const { env } = configOf(mainContainer(deployment), deployment);
      const needed = env.SHUTDOWN_DRAIN_DELAY + env.SHUTDOWN_GRACE_PERIOD + FLUSH_MARGIN_MS;
      const given = (deployment.spec!.template.spec!.terminationGracePeriodSeconds ?? 30) * 1000;
      expect({ pod: deployment.metadata.name, enough: given >= needed }).toEqual({
        pod: deployment.metadata.name,
        enough: true,
      });
    }
    // the values the ConfigMap sets, parsed by the app's `duration`: 10s + 120s
    expect(configOf(mainContainer(api), api).env.SHUTDOWN_DRAIN_DELAY).toBe(10_000);
    expect(configOf(mainContainer(api), api).env.SHUTDOWN_GRACE_PERIOD).toBe(120_000);
  });

  it('sets POD_NAME from metadata.name through the downward API in every pod and the Job', () => {
    for (const { owner, template } of podTemplates(manifests)) {
      for (const container of containersOf(template)) {
        const pod = container.env?.find((e) => e.name === 'POD_NAME');
        expect(pod?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
        expect(configOf(container, owner).podName).toMatch(new RegExp(`^${owner.metadata.name}-`));
      }
    }
  });

  it('points the Prometheus scrape annotations at the port and path that serve /metrics', () => {
    // with METRICS_PORT set, /metrics is served there and only there
    const cases = [
      { deployment: api, port: (c: AppConfig) => c.env.METRICS_PORT ?? c.port },
      { deployment: worker, port: (c: AppConfig) => c.env.METRICS_PORT ?? c.env.WORKER_HTTP_PORT },
    ];
    for (const { deployment, port } of cases) {
      const annotations = deployment.spec!.template.metadata!.annotations!;
      const container = mainContainer(deployment);
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      expect(Number(annotations['prometheus.io/port'])).toBe(port(configOf(container, deployment)));
      expect(resolvePort(container, Number(annotations['prometheus.io/port']))).toBeDefined();
    }
  });

  it('runs every container as non-root, read-only, without privilege escalation or capabilities', () => {
    for (const { template } of podTemplates(manifests)) {
      const pod = template.spec!.securityContext!;
      expect(pod.runAsNonRoot).toBe(true);
      // the image's `node` user is a name: the kubelet can only verify runAsNonRoot against a number
      expect(pod.runAsUser).toBeGreaterThan(0);
      expect(pod.seccompProfile?.type).toBe('RuntimeDefault');
      expect(template.spec!.automountServiceAccountToken).toBe(false);
      for (const container of containersOf(template)) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.securityContext?.privileged).not.toBe(true);
        expect(container.volumeMounts?.map((m) => m.mountPath)).toContain('/tmp');
      }
    }
  });

  it('gives every container CPU and memory requests and limits, requests within limits', () => {
    const quantity = (q: string | number): number => {
      const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(q));
      if (!m) throw new Error(`unparsed quantity ${q}`);
      const scale = { m: 0.001, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? ''] ?? 1;
      return Number(m[1]) * scale;
    };
    for (const { template } of podTemplates(manifests)) {
      for (const container of containersOf(template)) {
        const { requests = {}, limits = {} } = container.resources ?? {};
        for (const resource of ['cpu', 'memory']) {
          expect({ [container.name]: requests[resource] }).not.toEqual({ [container.name]: undefined });
          expect({ [container.name]: limits[resource] }).not.toEqual({ [container.name]: undefined });
          expect(quantity(requests[resource])).toBeLessThanOrEqual(quantity(limits[resource]));
        }
      }
    }
  });

  it('scales the API Deployment with an autoscaling/v2 HPA on CPU and leaves the replica count to it', () => {
    const [hpa, ...others] = byKind<IHorizontalPodAutoscaler>(manifests, 'HorizontalPodAutoscaler');
    expect(others).toEqual([]);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: API });
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec!.maxReplicas).toBeGreaterThan(hpa.spec!.minReplicas!);
    expect(hpa.spec!.metrics?.map((m) => m.resource?.name)).toContain('cpu');
    // utilization is measured against the request, so the API must have one; `replicas` would fight the HPA
    expect(mainContainer(api).resources?.requests?.cpu).toBeDefined();
    expect(api.spec!.replicas).toBeUndefined();
  });

  it('protects the API pods (and the workers) with PodDisruptionBudgets that select exactly them', () => {
    const pdbs = byKind<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget');
    const targets = podTemplates(manifests);
    const selected = (pdb: IPodDisruptionBudget): string[] =>
      targets
        .filter((t) => selects(pdb.spec!.selector!.matchLabels, t.template.metadata?.labels))
        .map((t) => t.owner.metadata.name);
    expect(pdbs.map((p) => selected(p))).toContainEqual([API]);
    for (const pdb of pdbs) {
      expect(selected(pdb)).toHaveLength(1);
      expect(pdb.spec!.maxUnavailable ?? pdb.spec!.minAvailable).toBeDefined();
    }
    expect(pdbs.map((p) => selected(p)[0]).sort()).toEqual([API, WORKER]);
  });

  it('has each Service select exactly its Deployment’s pods, on a port those pods expose', () => {
    const services = byKind<IService>(manifests, 'Service');
    const expected: Record<string, string> = { 'llm-gateway-api': API, 'llm-gateway-worker': WORKER };
    expect(services.map((s) => s.metadata.name).sort()).toEqual(Object.keys(expected).sort());
    for (const service of services) {
      const targets = podTemplates(manifests).filter((t) =>
        selects(service.spec!.selector, t.template.metadata?.labels),
      );
      expect(targets.map((t) => t.owner.metadata.name)).toEqual([expected[service.metadata.name]]);
      for (const port of service.spec!.ports!) {
        expect(resolvePort(mainContainer(targets[0].owner as IDeployment), port.targetPort ?? port.port)).toBeDefined();
      }
    }
    // the API's Service (the public one, behind the ingress) does not carry the metrics port
    const apiService = services.find((s) => s.metadata.name === 'llm-gateway-api')!;
    const metricsPort = configOf(mainContainer(api), api).env.METRICS_PORT;
    expect(
      apiService.spec!.ports!.map((p) => resolvePort(mainContainer(api), p.targetPort ?? p.port)).includes(metricsPort),
    ).toBe(false);
    // every Deployment's selector matches its own template (Kubernetes refuses it otherwise)
    for (const d of [api, worker])
      expect(selects(d.spec!.selector.matchLabels, d.spec!.template.metadata?.labels)).toBe(true);
  });

  it('ships a Secret example whose empty placeholders stop a production start instead of running with a known secret', () => {
    const secret = named<ISecret>(manifests, 'Secret', 'llm-gateway-secrets');
    expect(Object.keys(secret.stringData ?? {})).toEqual(
      expect.arrayContaining([
        'JWT_SECRET',
        'ENCRYPTION_KEY',
        'DATABASE_URL',
        'REDIS_URL',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
      ]),
    );
    const { env } = containerEnv(mainContainer(api), api, manifests);
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigValidationError);
    expect((thrown as ConfigValidationError).errors.map((e) => e.name).sort()).toEqual([
      'ENCRYPTION_KEY',
      'JWT_SECRET',
    ]);
  });
});
