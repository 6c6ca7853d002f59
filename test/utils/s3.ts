import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** s3rver's fixed credentials; the AWS SDK's default chain reads them from the environment. */
export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

/**
 * How the gate in front of s3rver treats object uploads (PUT): `pass` forwards them, `fail` answers 503
 * (S3 failing), `hold` keeps them hanging (an upload in progress, for killing its worker).
 */
export type GateMode = 'pass' | 'fail' | 'hold';

export interface StoredObject {
  key: string;
  /** The object's bytes as stored (gzip). */
  raw: Buffer;
  /** The object's JSON Lines as stored (gunzipped). */
  text: string;
  lines: Record<string, unknown>[];
}

/**
 * A real S3 endpoint for tests: s3rver in-process (path-style, signatures checked) behind a small HTTP gate
 * that can fail or hold uploads. Point the gateway at `endpoint`.
 */
export class TestS3 {
  readonly bucket = 'audit-logs';
  private s3rver?: S3rver;
  private gate?: Server;
  private readonly directory = mkdtempSync(join(tmpdir(), 'llmgw-s3-'));
  private backendPort = 0;
  private heldRequests: ServerResponse[] = [];
  mode: GateMode = 'pass';
  /** PUT requests that reached the gate (any mode). */
  puts = 0;
  /** Object keys of the uploads answered 503 by the gate. */
  readonly failedKeys: string[] = [];
  /** PUT requests currently held. */
  held = 0;
  endpoint = '';

  constructor() {
    // in-process gateways read credentials through the AWS SDK's default chain, as production does
    Object.assign(process.env, S3_CREDENTIALS);
  }

  async start(): Promise<this> {
    this.s3rver = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: this.bucket }],
    });
    this.backendPort = (await this.s3rver.run()).port;
    this.gate = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.gate!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.gate.address() as AddressInfo).port}`;
    return this;
  }

  /** The gateway's environment for this bucket (plus the credentials, for spawned processes). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      LOGGING_SINK_S3_BUCKET: this.bucket,
      LOGGING_SINK_S3_ENDPOINT: this.endpoint,
      LOGGING_SINK_S3_FORCE_PATH_STYLE: 'true',
      LOGGING_SINK_S3_PREFIX: 'logs/',
      ...S3_CREDENTIALS,
      ...extra,
    };
  }

  /** Answers held uploads with 503 (their worker is usually gone by then) and switches mode. */
  setMode(mode: GateMode): void {
    this.mode = mode;
    if (mode !== 'hold') {
      for (const res of this.heldRequests) if (!res.writableEnded) res.writeHead(503).end();
      this.heldRequests = [];
      this.held = 0;
    }
  }

  async stop(): Promise<void> {
    this.setMode('pass');
    this.gate?.closeAllConnections();
    await new Promise<void>((resolve) => this.gate?.close(() => resolve()) ?? resolve());
    await this.s3rver?.close();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Every stored object under `prefix`, decompressed and parsed line by line. */
  async objects(prefix = ''): Promise<StoredObject[]> {
    const direct = new S3Client({
      region: 'us-east-1',
      forcePathStyle: true,
      endpoint: `http://127.0.0.1:${this.backendPort}`,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await direct.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((c) => c.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const objects: StoredObject[] = [];
      for (const key of keys.sort()) {
        const res = await direct.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const raw = Buffer.from(await res.Body!.transformToByteArray());
        const text = gunzipSync(raw).toString('utf8');
        objects.push({
          key,
          raw,
          text,
          lines: text
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        });
      }
      return objects;
    } finally {
      direct.destroy();
    }
  }

  async records(prefix = ''): Promise<Record<string, unknown>[]> {
    return (await this.objects(prefix)).flatMap((o) => o.lines);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const upload = req.method === 'PUT' && (req.url ?? '').split('?')[0].split('/').filter(Boolean).length > 1;
    if (upload) {
      this.puts++;
      if (this.mode === 'fail') {
        req.resume();
        this.failedKeys.push(decodeURIComponent((req.url ?? '').split('?')[0].split('/').slice(2).join('/')));
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<Error><Code>ServiceUnavailable</Code><Message>gate closed</Message></Error>');
        return;
      }
      if (this.mode === 'hold') {
        req.resume();
        this.held++;
        this.heldRequests.push(res);
        return;
      }
    }
    const upstream = request(
      { host: '127.0.0.1', port: this.backendPort, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
