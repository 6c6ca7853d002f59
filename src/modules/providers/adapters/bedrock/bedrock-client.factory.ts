import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { ProviderSettings, UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import { ResponseBudget } from '#src/modules/providers/upstream-http';

/**
 * NodeHttpHandler whose response bodies fail once they pass UPSTREAM_MAX_RESPONSE_BYTES. The SDK reads
 * Converse answers whole and ConverseStream event streams from this body, so one count covers both.
 */
class CappedHttpHandler extends NodeHttpHandler {
  constructor(
    options: NodeHttpHandlerOptions,
    private readonly maxBytes: number,
    private readonly providerName: string,
  ) {
    super(options);
  }

  override async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const out = await super.handle(...args);
    const body = out.response.body as Readable | undefined;
    if (body && typeof body.pipe === 'function') {
      const budget = new ResponseBudget(this.maxBytes, this.providerName);
      const counted = new Transform({
        transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
          try {
            budget.take(chunk.length);
            cb(null, chunk);
          } catch (err) {
            body.destroy();
            cb(err as Error);
          }
        },
      });
      body.on('error', (err) => counted.destroy(err));
      out.response.body = body.pipe(counted);
    }
    return out;
  }
}

/**
 * One Bedrock runtime client per adapter:
 * - stored `{access_key_id, secret_access_key, session_token?}`, else the SDK's default credential chain
 *   (environment, shared config, SSO, web identity, ECS/EC2 roles);
 * - `config.region`, else the SDK's region chain; `baseUrl` overrides the endpoint;
 * - HTTP/1.1 keep-alive through NodeHttpHandler (the client's default HTTP/2 handler is only needed for
 *   bidirectional streams): UPSTREAM_CONNECT_TIMEOUT as `connectionTimeout`, UPSTREAM_TIMEOUT as
 *   `requestTimeout` (until the response headers) and `socketTimeout` (silence between stream events);
 * - response bodies (whole answers and event streams) capped at UPSTREAM_MAX_RESPONSE_BYTES;
 * - no SDK retries: the gateway retries nothing (SPEC §1) and passes throttling on to the client.
 */
export function createBedrockClient(settings: ProviderSettings, timeouts: UpstreamTimeouts): BedrockRuntimeClient {
  const {
    access_key_id: accessKeyId,
    secret_access_key: secretAccessKey,
    session_token: sessionToken,
  } = settings.credentials;
  const region =
    typeof settings.config.region === 'string' && settings.config.region ? settings.config.region : undefined;
  return new BedrockRuntimeClient({
    region,
    endpoint: settings.baseUrl ?? undefined,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined,
    maxAttempts: 1,
    requestHandler: new CappedHttpHandler(
      {
        connectionTimeout: timeouts.connectMs,
        requestTimeout: timeouts.idleMs,
        throwOnRequestTimeout: true,
        socketTimeout: timeouts.idleMs,
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
      },
      timeouts.maxResponseBytes,
      settings.name,
    ),
  });
}
