import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { ENV_SCHEMA } from '#src/core/config/env.schema';
import { gatewayServices, interpolatedNames, loadCompose, rawEnvironment } from '#test/deploy/compose';
import { byKind, containersOf, loadManifests, podTemplates } from '#test/deploy/manifests';
import { ROOT } from '#test/utils/processes';

/**
 * Variables the gateway does not read itself but hands to a library: the AWS SDK's default credential and
 * region chain (S3 audit logs, Bedrock). Listed one by one so a typo of a gateway variable cannot hide here.
 */
const AWS_SDK_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
];
/** Upper-case words in deploy/ and the deployment docs that are not environment variables. */
const NOT_VARIABLES = ['REPLACE_ME'];

const schemaNames = new Set(Object.keys(ENV_SCHEMA));
const unknown = (names: Iterable<string>): string[] =>
  [...new Set(names)].filter((n) => !schemaNames.has(n) && !AWS_SDK_VARIABLES.includes(n)).sort();

/** Every `UPPER_SNAKE_CASE` word of a text: variables named in comments, descriptions and prose. */
const upperSnakeWords = (text: string): string[] =>
  [...text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]).filter((w) => !NOT_VARIABLES.includes(w));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('environment variable names in deploy/, docker-compose.yml and the deployment docs', () => {
  it('sets in the Kubernetes manifests only variables of the configuration schema (or the AWS SDK’s)', () => {
    const manifests = loadManifests();
    const names = [
      ...byKind<IConfigMap>(manifests, 'ConfigMap').flatMap((c) => Object.keys(c.data ?? {})),
      ...byKind<ISecret>(manifests, 'Secret').flatMap((s) => [
        ...Object.keys(s.data ?? {}),
        ...Object.keys(s.stringData ?? {}),
      ]),
      ...podTemplates(manifests).flatMap(({ template }) =>
        containersOf(template).flatMap((c) => [
          ...(c.env ?? []).map((e) => e.name),
          // $(VAR) references in commands and arguments
          ...[...(c.command ?? []), ...(c.args ?? [])].flatMap((a) =>
            [...a.matchAll(/\$\(([A-Z0-9_]+)\)/g)].map((m) => m[1]),
          ),
        ]),
      ),
    ];
    expect(names).toEqual(expect.arrayContaining(['GATEWAY_HTTP_PORT', 'DATABASE_URL', 'POD_NAME']));
    expect(unknown(names)).toEqual([]);
  });

  it('names in every file under deploy/ (comments and dashboard text included) only real variables', () => {
    const offenders = filesUnder(join(ROOT, 'deploy')).flatMap((file) =>
      unknown(upperSnakeWords(readFileSync(file, 'utf8'))).map((name) => `${relative(ROOT, file)}: ${name}`),
    );
    expect(offenders).toEqual([]);
  });

  it('gives the gateway containers in docker-compose.yml only variables of the configuration schema', () => {
    const compose = loadCompose();
    const names = gatewayServices(compose).flatMap(([, service]) => Object.keys(rawEnvironment(service)));
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'RUN_PROCESSORS', 'DB_RUN_MIGRATIONS']));
    expect(unknown(names)).toEqual([]);
    // the host variables it interpolates are gateway variables too (README: `export JWT_SECRET=... docker compose up`)
    expect(unknown(interpolatedNames(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')))).toEqual([]);
  });

  it('names in the Dockerfile and docs/deployment.md only real variables', () => {
    const texts = ['Dockerfile', 'docs/deployment.md'].map((f) => [f, readFileSync(join(ROOT, f), 'utf8')] as const);
    const offenders = texts.flatMap(([file, text]) => unknown(upperSnakeWords(text)).map((n) => `${file}: ${n}`));
    expect(offenders).toEqual([]);
  });
});
