import type { JsonObject } from '#src/modules/providers/provider-adapter';

/** A float vector as OpenAI's `encoding_format: "base64"`: float32 little-endian, base64. */
export function floatsToBase64(values: number[]): string {
  const buf = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i], i * 4);
  return buf.toString('base64');
}

/** Encodes every float-array embedding of an OpenAI embeddings response; base64 ones pass through. */
export function encodeEmbeddingsBase64(body: JsonObject): JsonObject {
  if (!Array.isArray(body.data)) return body;
  return {
    ...body,
    data: (body.data as JsonObject[]).map((item) =>
      Array.isArray(item.embedding) ? { ...item, embedding: floatsToBase64(item.embedding as number[]) } : item,
    ),
  };
}
