import { createHash, createHmac } from 'node:crypto';
import { EventStreamCodec } from '@smithy/eventstream-codec';

/**
 * Bedrock runtime wire formats for the fake in fake-bedrock.ts, after the API reference:
 * - Converse (POST /model/{modelId}/converse): https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * - ConverseStream (POST /model/{modelId}/converse-stream, `application/vnd.amazon.eventstream` frames with
 *   `:event-type`, `:message-type` and `:content-type` headers, exceptions as `:message-type: exception`
 *   frames with `:exception-type`): .../API_runtime_ConverseStream.html
 * - InvokeModel (POST /model/{modelId}/invoke) for Titan and Cohere embeddings: .../API_runtime_InvokeModel.html,
 *   https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html and
 *   .../model-parameters-embed.html
 * - errors: the `x-amzn-errortype` header (or `__type`) with `{"message"}`, statuses as the Errors sections
 *   list them (ValidationException 400, AccessDeniedException 403, ResourceNotFoundException 404,
 *   ModelTimeoutException 408, ModelErrorException 424, ThrottlingException 429, ServiceUnavailableException 503).
 * - request signing: Signature Version 4, https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */

type Json = Record<string, unknown>;

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

/** Bedrock pads every event payload with a `p` field so sizes do not leak content; the SDK ignores it. */
function padded(payload: Json): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...payload,
      p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'.slice(0, 8 + (JSON.stringify(payload).length % 20)),
    }),
  );
}

export function eventFrame(eventType: string, payload: Json): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: padded(payload),
  });
}

export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':message-type': { type: 'string', value: 'exception' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: Buffer.from(JSON.stringify({ message })),
  });
}

export interface ConverseUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export function usageOf(u: ConverseUsage): Json {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.inputTokens + u.outputTokens + (u.cacheReadInputTokens ?? 0) + (u.cacheWriteInputTokens ?? 0),
    ...(u.cacheReadInputTokens !== undefined ? { cacheReadInputTokens: u.cacheReadInputTokens } : {}),
    ...(u.cacheWriteInputTokens !== undefined ? { cacheWriteInputTokens: u.cacheWriteInputTokens } : {}),
  };
}

/** Titan `{embedding, embeddingsByType, inputTextTokenCount}`; Cohere `{embeddings, id, response_type, texts}`. */
export function invokeAnswer(modelId: string, body: Json): { answer: Json; inputTokens: number } | null {
  const words = (s: unknown): number => String(s).split(/\s+/).filter(Boolean).length;
  if (modelId.includes('amazon.titan-embed')) {
    const embedding = [0.25, -0.125, 0.0625];
    const tokens = words(body.inputText) + 1;
    return {
      answer: { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount: tokens },
      inputTokens: tokens,
    };
  }
  if (modelId.includes('cohere.embed')) {
    const texts = (body.texts ?? []) as string[];
    const embeddings = texts.map((_, i) => [0.5 + i, -0.25, 0.125]);
    const tokens = texts.reduce((n, t) => n + words(t), 0);
    return { answer: { embeddings, id: 'emb-fake-1', response_type: 'embeddings_floats', texts }, inputTokens: tokens };
  }
  return null;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent also leaves !'()* alone). */
function escape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignedRequest {
  method: string;
  /** The request target as received (path and query, still percent-encoded once). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Checks a SigV4 `Authorization` header against the secret: rebuilds the canonical request (the path
 * encoded a second time, as AWS does for every service but S3), the string to sign and the signature.
 * Returns the access key id when the signature matches, else null.
 */
export function verifySigV4(req: SignedRequest, secretFor: (accessKeyId: string) => string | undefined): string | null {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  const secret = m ? secretFor(m[1]) : undefined;
  if (!m || !secret) return null;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  const [path, query = ''] = req.url.split('?');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((kv) =>
      kv
        .split('=')
        .map((x) => escape(decodeURIComponent(x)))
        .join('='),
    )
    .sort()
    .join('&');
  const header = (name: string): string => {
    const v = name === 'host' ? (req.headers.host ?? req.headers[':authority']) : req.headers[name];
    return String(Array.isArray(v) ? v.join(',') : (v ?? ''))
      .trim()
      .replace(/\s+/g, ' ');
  };
  const names = signedHeaders.split(';');
  const canonicalRequest = [
    req.method,
    escape(path).replace(/%2F/g, '/'),
    canonicalQuery,
    names.map((n) => `${n}:${header(n)}\n`).join(''),
    signedHeaders,
    header('x-amz-content-sha256') || sha256(req.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', header('x-amz-date'), scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return hmac(key, stringToSign).toString('hex') === signature ? accessKeyId : null;
}
