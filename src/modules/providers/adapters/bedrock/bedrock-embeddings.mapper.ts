import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject, RequestRefusal } from '#src/modules/providers/adapters/shared/openai.shapes';

/** Cohere Embed on Bedrock takes at most 96 texts per call. */
const COHERE_MAX_TEXTS = 96;

export type EmbeddingFamily = 'titan' | 'cohere';

/** Which request format a model id speaks; ids may carry a region prefix (`us.cohere.embed-v4:0`) or be ARNs. */
export function embeddingFamily(modelId: string): EmbeddingFamily {
  if (modelId.includes('amazon.titan-embed')) return 'titan';
  if (modelId.includes('cohere.embed')) return 'cohere';
  throw new RequestRefusal(
    'Bedrock embeddings are supported for Amazon Titan (amazon.titan-embed-*) and Cohere (cohere.embed-*) models.',
    'model',
  );
}

export function embeddingTexts(input: unknown): string[] {
  const items = Array.isArray(input) ? (input as unknown[]) : [input];
  return items.map((item, i) => {
    if (typeof item === 'string') return item;
    throw new RequestRefusal(`'input[${i}]': Bedrock embeds text only, not token arrays.`, 'input');
  });
}

/**
 * The InvokeModel bodies for `texts`: Titan embeds one text per call (`{inputText}`, `dimensions` on
 * Titan v2), Cohere up to 96 (`{texts, input_type: 'search_document'}`: the gateway cannot tell queries
 * from documents, and documents are what an index stores).
 */
export function invokeBodies(family: EmbeddingFamily, texts: string[], body: JsonObject): JsonObject[] {
  if (family === 'titan') {
    const dimensions = typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {};
    return texts.map((inputText) => ({ inputText, ...dimensions }));
  }
  const bodies: JsonObject[] = [];
  for (let i = 0; i < texts.length; i += COHERE_MAX_TEXTS) {
    bodies.push({ texts: texts.slice(i, i + COHERE_MAX_TEXTS), input_type: 'search_document' });
  }
  return bodies;
}

/** Titan `{embedding, inputTextTokenCount}`, Cohere `{embeddings}` (a list, or `{float: [...]}` by type). */
export function readInvokeAnswer(
  family: EmbeddingFamily,
  answer: JsonObject,
  expected: number,
): { vectors: number[][]; tokens: number | null } | null {
  if (family === 'titan') {
    if (!Array.isArray(answer.embedding)) return null;
    const tokens = typeof answer.inputTextTokenCount === 'number' ? answer.inputTextTokenCount : null;
    return { vectors: [answer.embedding as number[]], tokens };
  }
  const e = answer.embeddings;
  const vectors = Array.isArray(e) ? e : isObject(e) && Array.isArray(e.float) ? e.float : null;
  if (!vectors || vectors.length !== expected) return null;
  return { vectors: vectors as number[][], tokens: null };
}
