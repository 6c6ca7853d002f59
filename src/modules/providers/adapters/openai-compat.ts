import type { JsonObject } from '#src/modules/providers/provider-adapter';

/**
 * `config.compat` of an `openai` provider: what an OpenAI-compatible server that is not OpenAI accepts
 * (docs/providers/openai-compatible.md lists the servers checked).
 */
export interface OpenAiCompat {
  /** The field that carries the output limit upstream: servers that ignore `max_completion_tokens` need `max_tokens`. */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Send `stream_options.include_usage`; false for servers that refuse the field (usage then comes from the last chunk or is estimated). */
  streamOptions: boolean;
}

export const OPENAI_COMPAT_DEFAULT: OpenAiCompat = { maxTokensField: 'max_completion_tokens', streamOptions: true };

/** Reads `config.compat`, refusing anything it does not know, so a typo is not silently ignored. */
export function compatOf(config: Record<string, unknown>): OpenAiCompat {
  const raw = config.compat;
  if (raw === undefined || raw === null) return OPENAI_COMPAT_DEFAULT;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('config.compat must be an object');
  const compat = raw as JsonObject;
  const unknown = Object.keys(compat).filter((k) => k !== 'max_tokens_field' && k !== 'stream_options');
  if (unknown.length > 0)
    throw new Error(`config.compat: unknown field ${unknown.join(', ')} (known: max_tokens_field, stream_options)`);
  const field = compat.max_tokens_field ?? OPENAI_COMPAT_DEFAULT.maxTokensField;
  if (field !== 'max_completion_tokens' && field !== 'max_tokens')
    throw new Error('config.compat.max_tokens_field must be "max_completion_tokens" or "max_tokens"');
  const streamOptions = compat.stream_options ?? OPENAI_COMPAT_DEFAULT.streamOptions;
  if (typeof streamOptions !== 'boolean') throw new Error('config.compat.stream_options must be true or false');
  return { maxTokensField: field, streamOptions };
}

/** The upstream body with the output limit in the field the server reads and, if it refuses them, no stream_options. */
export function applyCompat(body: JsonObject, compat: OpenAiCompat): JsonObject {
  if (compat === OPENAI_COMPAT_DEFAULT) return body;
  const out: JsonObject = { ...body };
  if (compat.maxTokensField === 'max_tokens' && out.max_completion_tokens !== undefined) {
    // the reserved limit: the gateway writes it to max_completion_tokens (and max_tokens when the client used it)
    out.max_tokens = out.max_completion_tokens;
    delete out.max_completion_tokens;
  }
  if (!compat.streamOptions) delete out.stream_options;
  return out;
}
