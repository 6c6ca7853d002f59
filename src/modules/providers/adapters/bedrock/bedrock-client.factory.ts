import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { AddressPolicy } from '#src/core/net/address-guard';
import type { ProviderSettings, UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { ResponseBudget } from '#src/modules/providers/upstream-http';

/**
 * NodeHttpHandler whose response bodies fail once they pass UPSTREAM_MAX_RESPONSE_BYTES (the SDK reads
 * Converse answers whole and ConverseStream event streams from this body, so one count covers both), and
 * which refuses hosts the address policy refuses (names are checked by the agents' lookup at connect time).
 */
class GuardedHttpHandler extends NodeHttpHandler {
  constructor(
    options: NodeHttpHandlerOptions,
    private readonly maxBytes: number,
    private readonly policy: AddressPolicy,
    private readonly providerName: string,
  ) {
    super(options);
  }

  override async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const refused = this.policy.checkHost(args[0].hostname);
    if (refused) throw new UpstreamException(UpstreamErrorCode.AddressRefused, this.providerName, { cause: refused });
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

/** The credential provider of a custom endpoint without stored keys: fails every call as an auth error. */
function refuseAmbientCredentials(): Promise<never> {
  const err = new Error('no stored AWS keys: the default credential chain is never used with a custom base_url');
  err.name = 'CredentialsProviderError';
  return Promise.reject(err);
}

/**
 * One Bedrock runtime client per adapter:
 * - stored `{access_key_id, secret_access_key, session_token?}`, else the SDK's default credential chain
 *   (environment, shared config, SSO, web identity, ECS/EC2 roles);
 *   — never with a custom `baseUrl`: the pod's own AWS identity is not signed for an endpoint an admin chose;
 * - `config.region`, else the SDK's region chain; `baseUrl` overrides the endpoint;
 * - connections only to addresses the address policy allows (PROVIDER_ALLOW_PRIVATE_URLS);
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
        : settings.baseUrl
          ? refuseAmbientCredentials
          : undefined,
    maxAttempts: 1,
    requestHandler: new GuardedHttpHandler(
      {
        connectionTimeout: timeouts.connectMs,
        requestTimeout: timeouts.idleMs,
        throwOnRequestTimeout: true,
        socketTimeout: timeouts.idleMs,
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256, lookup: timeouts.addressPolicy.lookup() }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256, lookup: timeouts.addressPolicy.lookup() }),
      },
      timeouts.maxResponseBytes,
      timeouts.addressPolicy,
      settings.name,
    ),
  });
}
