import { OpenAiAdapter } from '#src/modules/providers/adapters/openai.adapter';
import type { ProviderSettings, UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import type { ProviderType } from '#src/modules/providers/provider.entity';

/**
 * The latest GA version of Azure OpenAI's data-plane inference API
 * (https://learn.microsoft.com/azure/ai-services/openai/reference); it has `stream_options.include_usage`,
 * `max_completion_tokens`, `parallel_tool_calls` and structured outputs.
 */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

/** `config.api_version: "v1"` selects Azure's v1 API (`/openai/v1/...`, deployment in `model`). */
const V1_API = 'v1';

/**
 * Azure OpenAI: OpenAI's wire format behind a per-resource endpoint. The deployment (the model's provider
 * id) goes into the path, the API version into the query, the key into the `api-key` header; bodies,
 * streams and error shapes are OpenAI's, so everything else is inherited.
 */
export class AzureOpenAiAdapter extends OpenAiAdapter {
  override readonly type: ProviderType = 'azure-openai';
  private readonly apiVersion: string;

  constructor(settings: ProviderSettings, timeouts: UpstreamTimeouts) {
    // validated before super() opens the connection pool, so a bad config leaks nothing
    const apiVersion = apiVersionOf(settings.config);
    super(settings, timeouts);
    this.apiVersion = apiVersion;
  }

  /** The resource endpoint, `https://<resource>.openai.azure.com`; a pasted `.../openai` suffix is trimmed. */
  protected override baseUrl(settings: ProviderSettings): string {
    if (!settings.baseUrl) {
      throw new Error(
        'azure-openai providers need base_url: the resource endpoint, https://<resource>.openai.azure.com',
      );
    }
    return settings.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
  }

  /** Chat and embeddings per deployment; the Responses API (deployment in `model`) under `/openai/`. */
  protected override path(operation: string, deployment: string): string {
    if (this.apiVersion === V1_API) return `/openai/v1/${operation}`;
    if (operation.startsWith('responses'))
      return `/openai/${operation}?api-version=${encodeURIComponent(this.apiVersion)}`;
    return `/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(this.apiVersion)}`;
  }

  protected override headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers['api-key'] = this.apiKey;
    return headers;
  }
}

function apiVersionOf(config: Record<string, unknown>): string {
  const version = config.api_version;
  if (version === undefined || version === null) return AZURE_OPENAI_DEFAULT_API_VERSION;
  if (typeof version !== 'string' || !/^[\w.-]+$/.test(version)) {
    throw new Error('config.api_version must be an Azure OpenAI API version such as 2024-10-21, or v1');
  }
  return version;
}
