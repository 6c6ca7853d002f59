import type { JsonObject } from '#src/modules/providers/provider-adapter';
import {
  contentText,
  isObject,
  outputLimit,
  parseDataUrl,
  refuseUnsupported,
  RequestRefusal,
  stopSequences,
} from '#src/modules/providers/adapters/shared/openai.shapes';
import { toGeminiSchema } from '#src/modules/providers/adapters/vertex/gemini-schema.mapper';
import { thoughtSignatureOf } from '#src/modules/providers/adapters/vertex/tool-call-id.codec';
import { toGeminiTooling } from '#src/modules/providers/adapters/vertex/gemini-tools.mapper';

/** Thinking budgets for OpenAI's `reasoning_effort` (Gemini 2.5 `thinkingBudget`; Gemini 3 accepts it too). */
const THINKING_BUDGETS: Record<string, number> = { none: 0, minimal: 128, low: 1024, medium: 8192, high: 24576 };

/** Extension → MIME type for `fileData` (Vertex needs one; the URL's extension is the only hint). */
const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

/** OpenAI chat request → Vertex `generateContent` request body (model-reference/inference). */
export function toGeminiRequest(body: JsonObject): JsonObject {
  refuseUnsupported(body, 'Vertex AI');
  const { systemInstruction, contents } = toContents(body.messages as unknown[]);
  const request: JsonObject = { contents };
  if (systemInstruction) request.systemInstruction = systemInstruction;
  Object.assign(request, toGeminiTooling(body));
  const generationConfig = toGenerationConfig(body);
  if (Object.keys(generationConfig).length > 0) request.generationConfig = generationConfig;
  return request;
}

/**
 * System and developer messages become `systemInstruction`; the other turns become `contents` with roles
 * `user` and `model`, consecutive turns of one role merged (tool results of a parallel call must share one
 * turn, and Gemini expects the roles to alternate).
 */
function toContents(messages: unknown[]): { systemInstruction?: JsonObject; contents: JsonObject[] } {
  const system: JsonObject[] = [];
  const contents: JsonObject[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: JsonObject[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) (last.parts as JsonObject[]).push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((raw, i) => {
    const m = raw as JsonObject;
    const p = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = contentText(m.content, `${p}.content`);
        if (text) system.push({ text });
        break;
      }
      case 'user':
        push('user', userParts(m.content, p));
        break;
      case 'assistant':
        push('model', assistantParts(m, p, toolNames));
        break;
      case 'tool':
        push('user', [toolResponsePart(m, p, toolNames)]);
        break;
      default:
        throw new RequestRefusal(
          `'${p}.role' ${JSON.stringify(m.role)} is not supported.`,
          `${p}.role`,
          'invalid_value',
        );
    }
  });
  return { systemInstruction: system.length > 0 ? { parts: system } : undefined, contents };
}

function userParts(content: unknown, p: string): JsonObject[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw new RequestRefusal(`'${p}.content' must be a string or an array.`, `${p}.content`);
  const parts = content.map((raw: unknown, j) => {
    const part: JsonObject = isObject(raw) ? raw : {};
    const at = `${p}.content[${j}]`;
    switch (part.type) {
      case 'text':
        return { text: typeof part.text === 'string' ? part.text : '' };
      case 'image_url':
        return mediaPart((part.image_url as JsonObject | undefined)?.url, at);
      case 'input_audio': {
        const audio = (part.input_audio ?? {}) as JsonObject;
        return {
          inlineData: {
            mimeType: `audio/${typeof audio.format === 'string' ? audio.format : 'wav'}`,
            data: audio.data,
          },
        };
      }
      case 'file': {
        const file = (part.file ?? {}) as JsonObject;
        if (typeof file.file_data === 'string') return mediaPart(file.file_data, at);
        throw new RequestRefusal(`'${at}': only inline file_data is supported for Vertex AI.`, at);
      }
      default:
        throw new RequestRefusal(`'${at}' of type ${JSON.stringify(part.type)} is not supported.`, at);
    }
  });
  // Vertex refuses empty text parts
  return parts.filter((part) => part.text !== '');
}

/** data: URLs go inline; gs:// and http(s) URLs are fetched by Vertex itself (`fileData`). */
function mediaPart(url: unknown, at: string): JsonObject {
  if (typeof url !== 'string') throw new RequestRefusal(`'${at}' needs a URL.`, at, 'invalid_value');
  const inline = parseDataUrl(url);
  if (inline) return { inlineData: inline };
  if (/^(gs|https?):\/\//i.test(url)) return { fileData: { mimeType: guessMimeType(url), fileUri: url } };
  throw new RequestRefusal(`'${at}' must be a data: URL, a gs:// URI or an http(s) URL.`, at, 'invalid_value');
}

function guessMimeType(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  return MIME_BY_EXTENSION[ext] ?? 'image/jpeg';
}

function assistantParts(m: JsonObject, p: string, toolNames: Map<string, string>): JsonObject[] {
  const parts: JsonObject[] = [];
  const text = contentText(m.content, `${p}.content`);
  if (text) parts.push({ text });
  const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as JsonObject[]) : [];
  calls.forEach((call, k) => {
    const at = `${p}.tool_calls[${k}]`;
    const fn = (call.function ?? {}) as JsonObject;
    if (typeof call.id !== 'string' || typeof fn.name !== 'string')
      throw new RequestRefusal(`'${at}' needs an id and a function name.`, at, 'invalid_value');
    toolNames.set(call.id, fn.name);
    const part: JsonObject = { functionCall: { name: fn.name, args: parseArguments(fn.arguments, at) } };
    const signature = thoughtSignatureOf(call.id);
    if (signature) part.thoughtSignature = signature;
    parts.push(part);
  });
  return parts;
}

function parseArguments(args: unknown, at: string): JsonObject {
  if (args === undefined || args === null || args === '') return {};
  try {
    const parsed: unknown = typeof args === 'string' ? JSON.parse(args) : args;
    if (isObject(parsed)) return parsed;
  } catch {
    // refused below
  }
  throw new RequestRefusal(
    `'${at}.function.arguments' must be a JSON object.`,
    `${at}.function.arguments`,
    'invalid_value',
  );
}

/** A tool result → `functionResponse`; Gemini wants an object, so non-object results go under `content`. */
function toolResponsePart(m: JsonObject, p: string, toolNames: Map<string, string>): JsonObject {
  const name = typeof m.tool_call_id === 'string' ? toolNames.get(m.tool_call_id) : undefined;
  if (!name) {
    throw new RequestRefusal(
      `'${p}.tool_call_id' does not match a tool call of an earlier assistant message.`,
      `${p}.tool_call_id`,
      'invalid_value',
    );
  }
  const text = contentText(m.content, `${p}.content`);
  let response: JsonObject = { content: text };
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) response = parsed;
  } catch {
    // plain text stays under `content`
  }
  return { functionResponse: { name, response } };
}

function toGenerationConfig(body: JsonObject): JsonObject {
  const g: JsonObject = {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  g.maxOutputTokens = outputLimit(body);
  g.temperature = num(body.temperature);
  g.topP = num(body.top_p);
  g.candidateCount = num(body.n);
  g.stopSequences = stopSequences(body);
  g.presencePenalty = num(body.presence_penalty);
  g.frequencyPenalty = num(body.frequency_penalty);
  g.seed = num(body.seed);
  Object.assign(g, responseFormat(body.response_format));
  if (typeof body.reasoning_effort === 'string') {
    const budget = THINKING_BUDGETS[body.reasoning_effort];
    if (budget === undefined)
      throw new RequestRefusal(`Unknown 'reasoning_effort'.`, 'reasoning_effort', 'invalid_value');
    g.thinkingConfig = { thinkingBudget: budget };
  }
  for (const k of Object.keys(g)) if (g[k] === undefined) delete g[k];
  return g;
}

function responseFormat(rf: unknown): JsonObject {
  if (rf === undefined || rf === null) return {};
  if (!isObject(rf))
    throw new RequestRefusal("'response_format' must be an object.", 'response_format', 'invalid_value');
  switch (rf.type) {
    case 'text':
      return {};
    case 'json_object':
      return { responseMimeType: 'application/json' };
    case 'json_schema': {
      const js = (rf.json_schema ?? {}) as JsonObject;
      return {
        responseMimeType: 'application/json',
        responseSchema: toGeminiSchema(js.schema, 'response_format.json_schema.schema'),
      };
    }
    default:
      throw new RequestRefusal(
        `'response_format.type' ${JSON.stringify(rf.type)} is not supported.`,
        'response_format',
      );
  }
}
