import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject, RequestRefusal } from '#src/modules/providers/adapters/shared/openai.shapes';

/** text-embedding-005 and text-multilingual-embedding-002 take up to 250 instances per request. */
const MAX_INSTANCES = 250;

/** OpenAI `input` → texts; Vertex embeds text only, so token arrays are refused. */
export function embeddingTexts(input: unknown): string[] {
  const items = Array.isArray(input) ? (input as unknown[]) : [input];
  return items.map((item, i) => {
    if (typeof item === 'string') return item;
    throw new RequestRefusal(`'input[${i}]': Vertex AI embeds text only, not token arrays.`, 'input');
  });
}

/** gemini-embedding-001 accepts one instance per `:predict` request (text-embeddings API reference). */
export function predictBatches(model: string, texts: string[]): string[][] {
  const size = model.startsWith('gemini-embedding') ? 1 : MAX_INSTANCES;
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += size) batches.push(texts.slice(i, i + size));
  return batches;
}

/** `:predict` body: `instances[].content`, OpenAI `dimensions` → `parameters.outputDimensionality`. */
export function predictRequest(batch: string[], body: JsonObject): JsonObject {
  const request: JsonObject = { instances: batch.map((content) => ({ content })) };
  if (typeof body.dimensions === 'number') request.parameters = { outputDimensionality: body.dimensions };
  return request;
}

/** `predictions[].embeddings.{values, statistics.token_count}`; null when the answer has another shape. */
export function readPredictions(res: JsonObject, expected: number): { vectors: number[][]; tokens: number } | null {
  const predictions = Array.isArray(res.predictions) ? (res.predictions as unknown[]) : [];
  if (predictions.length !== expected) return null;
  const vectors: number[][] = [];
  let tokens = 0;
  for (const p of predictions) {
    const e = isObject(p) && isObject(p.embeddings) ? p.embeddings : null;
    if (!e || !Array.isArray(e.values)) return null;
    vectors.push(e.values as number[]);
    const stats = isObject(e.statistics) ? e.statistics : {};
    const count = stats.token_count ?? stats.tokenCount;
    tokens += typeof count === 'number' ? count : 0;
  }
  return { vectors, tokens };
}
