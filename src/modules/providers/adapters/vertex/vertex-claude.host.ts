import type { BetaFilter } from '#src/modules/providers/adapters/anthropic/anthropic-betas';
import { errorTypeOf, type MessagesHost, parse } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import type { UpstreamResponse } from '#src/modules/providers/upstream-http';

/** The Messages API version Vertex AI's Claude models take, in the body. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

const PUBLISHER = 'publishers/anthropic/models/';

/** Claude on Vertex AI: `claude-…` (Google's model ids, e.g. `claude-sonnet-4-5@20250929`) or its full resource name. */
export function isVertexClaude(model: string): boolean {
  return model.startsWith('claude-') || model.startsWith(PUBLISHER);
}

export interface VertexClaudeParts {
  /** `/v1/projects/{project}/locations/{location}/{resource}:{method}`. */
  path(resource: string, method: string): string;
  /** The bearer token headers. */
  auth(signal: AbortSignal): Promise<Record<string, string>>;
  betas: BetaFilter;
  /** Google's own error answers (google.rpc.Status) → SPEC §3. */
  vertexFailure(res: UpstreamResponse): Error;
}

/**
 * Anthropic's Messages API as Vertex AI serves it for Claude (SPEC §12): `:rawPredict` and `:streamRawPredict`
 * under `publishers/anthropic/models/{model}` with `anthropic_version: vertex-2023-10-16` in the body, and
 * `count-tokens:rawPredict` (the model in the body) for count_tokens; beta flags in `anthropic-beta`, those
 * Vertex refuses dropped. Claude's own errors are Anthropic's and pass on unchanged; Google's are mapped.
 */
export function vertexClaudeHost(parts: VertexClaudeParts): MessagesHost {
  return {
    path: (kind, model) =>
      kind === 'count'
        ? parts.path(`${PUBLISHER}count-tokens`, 'rawPredict')
        : parts.path(resourceOf(model), kind === 'stream' ? 'streamRawPredict' : 'rawPredict'),
    headers: async (call, signal) => {
      const betas = parts.betas.filter(call.betas);
      return { ...(await parts.auth(signal)), ...(betas.length > 0 ? { 'anthropic-beta': betas.join(',') } : {}) };
    },
    body: (kind, body) => {
      const { model, stream: _stream, ...rest } = body;
      if (kind === 'count') return { ...rest, model: typeof model === 'string' ? model.replace(PUBLISHER, '') : model };
      return { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest, ...(kind === 'stream' ? { stream: true } : {}) };
    },
    failure: (res) => (errorTypeOf(parse(res.body)) !== null ? null : parts.vertexFailure(res)),
  };
}

function resourceOf(model: string): string {
  return model.startsWith(PUBLISHER) ? model : `${PUBLISHER}${model}`;
}
