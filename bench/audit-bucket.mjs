// The S3-protocol server the soaks ship audit logs to, and how they read it back.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

const OBJECT_SUFFIX = '._S3rver_object';

/** An s3rver on a free port with `bucket` created, in a new temporary directory. */
export async function startBucket(bucket, dirPrefix) {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return { server, dir, endpoint, s3 };
}

/**
 * Every object in the bucket and the call ids of its lines. s3rver cannot list past one page on Node 20
 * (its continuation token uses a cipher OpenSSL 3 no longer has: InternalError), so the object names come
 * from s3rver's directory (`<key>._S3rver_object` beside its metadata) and each object is read through
 * the S3 API.
 */
export async function readBucket({ s3, dir }, bucket) {
  const root = join(dir, bucket);
  const keys = readdirSync(root, { recursive: true })
    .filter((f) => f.endsWith(OBJECT_SUFFIX))
    .map((f) => f.slice(0, -OBJECT_SUFFIX.length))
    .filter((key) => existsSync(join(root, `${key}._S3rver_metadata.json`)))
    .sort();
  const ids = [];
  for (const key of keys) {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = gunzipSync(Buffer.from(await res.Body.transformToByteArray())).toString('utf8');
    for (const line of text.split('\n')) if (line) ids.push(JSON.parse(line).call_id);
  }
  return { keys, ids };
}
