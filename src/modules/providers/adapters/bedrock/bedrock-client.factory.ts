import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ProviderSettings, UpstreamTimeouts } from '#src/modules/providers/provider-adapter';

/**
 * One Bedrock runtime client per adapter:
 * - stored `{access_key_id, secret_access_key, session_token?}`, else the SDK's default credential chain
 *   (environment, shared config, SSO, web identity, ECS/EC2 roles);
 * - `config.region`, else the SDK's region chain; `baseUrl` overrides the endpoint;
 * - HTTP/1.1 keep-alive through NodeHttpHandler (the client's default HTTP/2 handler is only needed for
 *   bidirectional streams): UPSTREAM_CONNECT_TIMEOUT as `connectionTimeout`, UPSTREAM_TIMEOUT as
 *   `requestTimeout` (until the response headers) and `socketTimeout` (silence between stream events);
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
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeouts.connectMs,
      requestTimeout: timeouts.idleMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.idleMs,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
    }),
  });
}
