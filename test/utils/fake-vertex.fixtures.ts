/**
 * Vertex AI wire formats for the fake in fake-vertex.ts, shaped after Google's documentation:
 * - GenerateContentResponse: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference
 *   (response body and its sample) and .../reference/rest/v1/GenerateContentResponse;
 * - streaming (`alt=sse`, one GenerateContentResponse per `data:` event, the last with finishReason and the
 *   complete usageMetadata): the streaming samples of the same page;
 * - function calls: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/function-calling;
 * - :predict for text embeddings: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api
 *   ("gemini-embedding-001 supports one instance per request");
 * - errors (google.rpc.Status in `{"error": ...}`): https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/api-errors
 *   and https://cloud.google.com/apis/design/errors (RetryInfo).
 */

type Json = Record<string, unknown>;

/** The fields Vertex's v1 `Schema` message has; any other key is refused as an unknown JSON field. */
const SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'default',
  'items',
  'minItems',
  'maxItems',
  'enum',
  'properties',
  'propertyOrdering',
  'required',
  'minProperties',
  'maxProperties',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
]);
const REQUEST_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'tools',
  'toolConfig',
  'generationConfig',
  'safetySettings',
  'cachedContent',
  'labels',
]);
const GENERATION_FIELDS = new Set([
  'temperature',
  'topP',
  'topK',
  'candidateCount',
  'maxOutputTokens',
  'stopSequences',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'responseMimeType',
  'responseSchema',
  'thinkingConfig',
]);
const PART_DATA = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'];

export function rpcError(code: number, status: string, message: string, details?: Json[]): Json {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** The INVALID_ARGUMENT Vertex answers for a JSON field its protobuf message does not have. */
function unknownField(name: string, at: string): Json {
  return rpcError(
    400,
    'INVALID_ARGUMENT',
    `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`,
  );
}

function checkSchema(schema: unknown, at: string): Json | null {
  if (!schema || typeof schema !== 'object') return null;
  for (const [k, v] of Object.entries(schema as Json)) {
    if (!SCHEMA_FIELDS.has(k)) return unknownField(k, at);
    const nested =
      k === 'properties' && v && typeof v === 'object'
        ? Object.entries(v as Json).map(([p, s]) => checkSchema(s, `${at}.properties[${p}].value`))
        : k === 'items'
          ? [checkSchema(v, `${at}.items`)]
          : k === 'anyOf' && Array.isArray(v)
            ? v.map((s, i) => checkSchema(s, `${at}.any_of[${i}]`))
            : [];
    const bad = nested.find((e) => e !== null);
    if (bad) return bad;
  }
  return null;
}

function checkContents(contents: unknown): Json | null {
  if (!Array.isArray(contents) || contents.length === 0)
    return rpcError(
      400,
      'INVALID_ARGUMENT',
      'Unable to submit request because it must include at least one parts field.',
    );
  for (const [i, c] of (contents as Json[]).entries()) {
    if (c.role !== 'user' && c.role !== 'model')
      return rpcError(400, 'INVALID_ARGUMENT', `Please use a valid role: user, model. (contents[${i}])`);
    const parts = c.parts as Json[] | undefined;
    if (!Array.isArray(parts) || parts.length === 0)
      return rpcError(400, 'INVALID_ARGUMENT', `contents[${i}].parts must not be empty.`);
    for (const part of parts) {
      if (PART_DATA.filter((k) => k in part).length !== 1)
        return rpcError(400, 'INVALID_ARGUMENT', `contents[${i}]: a part must set exactly one data field.`);
    }
  }
  return null;
}

/** What Vertex refuses before generating: unknown fields, empty turns, malformed parts or schemas. */
export function validateGenerateRequest(body: Json): Json | null {
  for (const k of Object.keys(body)) if (!REQUEST_FIELDS.has(k)) return unknownField(k, '');
  const bad = checkContents(body.contents);
  if (bad) return bad;
  const g = (body.generationConfig ?? {}) as Json;
  for (const k of Object.keys(g)) if (!GENERATION_FIELDS.has(k)) return unknownField(k, 'generation_config');
  if (g.responseSchema) {
    const e = checkSchema(g.responseSchema, 'generation_config.response_schema');
    if (e) return e;
  }
  for (const tool of (body.tools ?? []) as Json[]) {
    for (const [i, d] of ((tool.functionDeclarations ?? []) as Json[]).entries()) {
      const e = checkSchema(d.parameters, `tools[0].function_declarations[${i}].parameters`);
      if (e) return e;
      const props = (d.parameters as Json | undefined)?.properties as Json | undefined;
      if (d.parameters && (!props || Object.keys(props).length === 0))
        return rpcError(
          400,
          'INVALID_ARGUMENT',
          `function_declarations[${i}].parameters.properties: should be non-empty for OBJECT type`,
        );
    }
  }
  return null;
}

export interface GeminiUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

/** `usageMetadata` as Vertex reports it (the inference page's sample: prompt 265, candidates 35). */
export function usageMetadata(u: GeminiUsage): Json {
  const total = u.promptTokenCount + u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0);
  return {
    promptTokenCount: u.promptTokenCount,
    candidatesTokenCount: u.candidatesTokenCount,
    totalTokenCount: total,
    ...(u.cachedContentTokenCount !== undefined ? { cachedContentTokenCount: u.cachedContentTokenCount } : {}),
    ...(u.thoughtsTokenCount !== undefined ? { thoughtsTokenCount: u.thoughtsTokenCount } : {}),
    trafficType: 'ON_DEMAND',
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: u.promptTokenCount }],
    candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: u.candidatesTokenCount }],
  };
}

/** The envelope every GenerateContentResponse (and stream event) carries. */
export function envelope(model: string, responseId: string): Json {
  return { modelVersion: model, createTime: '2025-03-05T16:36:35.041423Z', responseId };
}

/** A `:predict` text-embeddings answer: one prediction per instance, `statistics.token_count` in snake case. */
export function predictResponse(instances: Json[]): Json {
  const predictions = instances.map((inst, i) => ({
    embeddings: {
      statistics: {
        truncated: false,
        token_count: (typeof inst.content === 'string' ? inst.content : '').split(/\s+/).filter(Boolean).length + 1,
      },
      values: [0.0125 * (i + 1), -0.0390625, 0.5],
    },
  }));
  const billable = instances.reduce((n, inst) => n + (typeof inst.content === 'string' ? inst.content : '').length, 0);
  return { predictions, metadata: { billableCharacterCount: billable } };
}
