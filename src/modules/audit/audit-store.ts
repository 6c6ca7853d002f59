import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AppConfig } from '#src/core/config/app-config';

/** Where flushed batches go: one gzip JSON Lines object per batch, overwritten (never duplicated) on retry. */
export interface AuditStore {
  readonly kind: 's3' | 'file';
  /** Writes `lines` (pages of serialized records) gzip-compressed under `key`, replacing any earlier attempt. */
  put(key: string, lines: AsyncIterable<string[]>): Promise<void>;
  close(): void;
}

export const AUDIT_STORE = Symbol('AUDIT_STORE');

/** Connecting to S3 fails after this (or the request timeout, if shorter). */
const CONNECT_TIMEOUT_MS = 10_000;

/** Pages of records as a newline-terminated text stream, for gzip. */
function jsonLines(pages: AsyncIterable<string[]>): Readable {
  return Readable.from(
    (async function* () {
      for await (const page of pages) yield `${page.join('\n')}\n`;
    })(),
  );
}

/**
 * S3 (or MinIO, s3rver) through @aws-sdk/client-s3. Records are read from Redis a page at a time and
 * gzipped as they come; only the compressed object is held, then sent with its length (PutObject needs one).
 * Credentials come from the AWS SDK's default chain. Each request (each of the SDK's 3 attempts) fails after
 * LOGGING_SINK_S3_REQUEST_TIMEOUT, so a hung endpoint cannot hold a batch's lease (renewed meanwhile) forever.
 */
export class S3AuditStore implements AuditStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  /** LOGGING_SINK_GZIP_LEVEL */
  private readonly gzipLevel: number;

  constructor(config: AppConfig) {
    const env = config.env;
    this.gzipLevel = env.LOGGING_SINK_GZIP_LEVEL;
    this.bucket = env.LOGGING_SINK_S3_BUCKET;
    this.client = new S3Client({
      region: env.LOGGING_SINK_S3_REGION,
      endpoint: env.LOGGING_SINK_S3_ENDPOINT,
      forcePathStyle: env.LOGGING_SINK_S3_FORCE_PATH_STYLE,
      // checksums only where S3 requires them: MinIO and s3rver store aws-chunked framing otherwise
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: Math.min(env.LOGGING_SINK_S3_REQUEST_TIMEOUT, CONNECT_TIMEOUT_MS),
        requestTimeout: env.LOGGING_SINK_S3_REQUEST_TIMEOUT,
        // without it a request past requestTimeout only logs a warning and keeps waiting
        throwOnRequestTimeout: true,
      }),
    });
  }

  async put(key: string, lines: AsyncIterable<string[]>): Promise<void> {
    const chunks: Buffer[] = [];
    let length = 0;
    await pipeline(
      jsonLines(lines),
      createGzip({ level: this.gzipLevel }),
      async (compressed: AsyncIterable<Buffer>) => {
        for await (const chunk of compressed) {
          chunks.push(chunk);
          length += chunk.length;
        }
      },
    );
    const body = Buffer.concat(chunks, length);
    chunks.length = 0;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: length,
        ContentType: 'application/x-ndjson',
        ContentEncoding: 'gzip',
      }),
    );
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * No bucket: files under DATA_DIR/logs with the same key layout. Written to a temporary name and renamed,
 * so a crash never leaves a partial file under the final name, and a retry replaces the file.
 */
export class FileAuditStore implements AuditStore {
  readonly kind = 'file';
  readonly root: string;
  /** LOGGING_SINK_GZIP_LEVEL */
  private readonly gzipLevel: number;

  constructor(config: AppConfig) {
    this.root = resolve(config.env.DATA_DIR, 'logs');
    this.gzipLevel = config.env.LOGGING_SINK_GZIP_LEVEL;
  }

  async put(key: string, lines: AsyncIterable<string[]>): Promise<void> {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`audit object key escapes the log directory: ${key}`);
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const out = createWriteStream(tmp, { flush: true });
      await pipeline(jsonLines(lines), createGzip({ level: this.gzipLevel }), out);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  close(): void {}
}

export function createAuditStore(config: AppConfig): AuditStore {
  return config.env.LOGGING_SINK_S3_BUCKET ? new S3AuditStore(config) : new FileAuditStore(config);
}
