import type {
  ContentBlock,
  ConverseRequest,
  ImageFormat,
  InferenceConfiguration,
  Message,
  OutputConfig,
  SystemContentBlock,
  Tool,
  ToolChoice,
  ToolConfiguration,
  ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
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

/** A JSON value as the SDK types documents (tool inputs and schemas). */
type DocumentType = NonNullable<ToolUseBlock['input']>;

/** The request fields ConverseCommand and ConverseStreamCommand share. */
export type ConverseInput = Omit<ConverseRequest, 'modelId'>;

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** Parameters Converse has no field for; refused only when set to something other than their default. */
const CONVERSE_REFUSED: Record<string, (v: unknown) => boolean> = {
  n: (v) => typeof v === 'number' && v !== 1,
  presence_penalty: (v) => typeof v === 'number' && v !== 0,
  frequency_penalty: (v) => typeof v === 'number' && v !== 0,
};

/** OpenAI chat request → Converse / ConverseStream input (API_runtime_Converse). */
export function toConverseInput(body: JsonObject): ConverseInput {
  refuseUnsupported(body, 'Bedrock', CONVERSE_REFUSED);
  const { system, messages } = toMessages(body.messages as unknown[]);
  const input: ConverseInput = { messages };
  if (system.length > 0) input.system = system;
  const toolConfig = toToolConfig(body, messages);
  if (toolConfig) input.toolConfig = toolConfig;
  const inferenceConfig: InferenceConfiguration = {
    maxTokens: outputLimit(body),
    temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
    topP: typeof body.top_p === 'number' ? body.top_p : undefined,
    stopSequences: stopSequences(body),
  };
  const set = Object.entries(inferenceConfig).filter(([, v]) => v !== undefined);
  if (set.length > 0) input.inferenceConfig = Object.fromEntries(set);
  const outputConfig = toOutputConfig(body.response_format);
  if (outputConfig) input.outputConfig = outputConfig;
  return input;
}

/**
 * System and developer messages → `system`; the rest → `messages` with consecutive turns of one role merged,
 * because Converse requires user and assistant turns to alternate and wants every tool result of an
 * assistant turn in the one user turn after it.
 */
function toMessages(raw: unknown[]): { system: SystemContentBlock[]; messages: Message[] } {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  const push = (role: 'user' | 'assistant', content: ContentBlock[]): void => {
    if (content.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content!.push(...content);
    else messages.push({ role, content });
  };
  raw.forEach((value, i) => {
    const m = value as JsonObject;
    const p = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = contentText(m.content, `${p}.content`);
        if (text) system.push({ text });
        break;
      }
      case 'user':
        push('user', userContent(m.content, p));
        break;
      case 'assistant':
        push('assistant', assistantContent(m, p));
        break;
      case 'tool': {
        const text = contentText(m.content, `${p}.content`);
        const toolUseId = typeof m.tool_call_id === 'string' ? m.tool_call_id : '';
        push('user', [{ toolResult: { toolUseId, content: [{ text }] } }]);
        break;
      }
      default:
        throw new RequestRefusal(
          `'${p}.role' ${JSON.stringify(m.role)} is not supported.`,
          `${p}.role`,
          'invalid_value',
        );
    }
  });
  return { system, messages };
}

function userContent(content: unknown, p: string): ContentBlock[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw new RequestRefusal(`'${p}.content' must be a string or an array.`, `${p}.content`);
  const blocks = content.map((raw: unknown, j): ContentBlock => {
    const part: JsonObject = isObject(raw) ? raw : {};
    const at = `${p}.content[${j}]`;
    if (part.type === 'text') return { text: typeof part.text === 'string' ? part.text : '' };
    if (part.type === 'image_url') return imageBlock((part.image_url as JsonObject | undefined)?.url, at);
    throw new RequestRefusal(`'${at}' of type ${JSON.stringify(part.type)} is not supported for Bedrock.`, at);
  });
  // Converse refuses blank text blocks
  return blocks.filter((b) => b.text !== '');
}

/** Converse takes image bytes only: a base64 data: URL of png, jpeg, gif or webp. */
function imageBlock(url: unknown, at: string): ContentBlock {
  const inline = typeof url === 'string' ? parseDataUrl(url) : null;
  if (!inline) {
    throw new RequestRefusal(
      `'${at}': Bedrock's Converse API takes images as bytes only; send a base64 data: URL instead of a link.`,
      at,
      'invalid_value',
    );
  }
  const format = IMAGE_FORMATS[inline.mimeType];
  if (!format)
    throw new RequestRefusal(
      `'${at}': image type ${inline.mimeType} is not supported by Bedrock.`,
      at,
      'invalid_value',
    );
  return { image: { format, source: { bytes: Buffer.from(inline.data, 'base64') } } };
}

function assistantContent(m: JsonObject, p: string): ContentBlock[] {
  const content: ContentBlock[] = [];
  const text = contentText(m.content, `${p}.content`);
  if (text) content.push({ text });
  const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as JsonObject[]) : [];
  calls.forEach((call, k) => {
    const at = `${p}.tool_calls[${k}]`;
    const fn = (call.function ?? {}) as JsonObject;
    if (typeof call.id !== 'string' || typeof fn.name !== 'string')
      throw new RequestRefusal(`'${at}' needs an id and a function name.`, at, 'invalid_value');
    content.push({ toolUse: { toolUseId: call.id, name: fn.name, input: parseArguments(fn.arguments, at) } });
  });
  return content;
}

function parseArguments(args: unknown, at: string): DocumentType {
  if (args === undefined || args === null || args === '') return {};
  try {
    const parsed: unknown = typeof args === 'string' ? JSON.parse(args) : args;
    if (isObject(parsed)) return parsed as DocumentType;
  } catch {
    // refused below
  }
  throw new RequestRefusal(
    `'${at}.function.arguments' must be a JSON object.`,
    `${at}.function.arguments`,
    'invalid_value',
  );
}

/**
 * tools → `toolSpec`s; tool_choice auto/required/{function} → auto/any/tool. `none` leaves the tools out, except
 * when the history holds tool calls: Converse refuses toolUse and toolResult blocks without a toolConfig, so
 * the tools stay (without a choice) and the model may still call one.
 */
function toToolConfig(body: JsonObject, messages: Message[]): ToolConfiguration | undefined {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return undefined;
  const tools = body.tools.map((t: unknown, i): Tool => {
    const at = `tools[${i}]`;
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string')
      throw new RequestRefusal(`'${at}': only function tools are supported for Bedrock.`, at);
    const fn = t.function;
    const schema = (isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} }) as DocumentType;
    return {
      toolSpec: {
        name: fn.name as string,
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        inputSchema: { json: schema },
      },
    };
  });
  const tc = body.tool_choice;
  if (tc === 'none') {
    const usesTools = messages.some((m) => m.content?.some((b) => b.toolUse ?? b.toolResult));
    return usesTools ? { tools } : undefined;
  }
  const toolChoice = toToolChoice(tc);
  return toolChoice ? { tools, toolChoice } : { tools };
}

function toToolChoice(tc: unknown): ToolChoice | undefined {
  if (tc === undefined || tc === null) return undefined;
  if (tc === 'auto') return { auto: {} };
  if (tc === 'required') return { any: {} };
  if (isObject(tc) && tc.type === 'function' && isObject(tc.function) && typeof tc.function.name === 'string')
    return { tool: { name: tc.function.name } };
  throw new RequestRefusal("'tool_choice' is not a value this gateway understands.", 'tool_choice', 'invalid_value');
}

/** json_schema → structured output (`outputConfig.textFormat`); json_object has no Converse equivalent. */
function toOutputConfig(rf: unknown): OutputConfig | undefined {
  if (rf === undefined || rf === null || (isObject(rf) && rf.type === 'text')) return undefined;
  if (isObject(rf) && rf.type === 'json_schema' && isObject(rf.json_schema) && isObject(rf.json_schema.schema)) {
    const js = rf.json_schema;
    return {
      textFormat: {
        type: 'json_schema',
        structure: {
          jsonSchema: {
            schema: JSON.stringify(js.schema),
            ...(typeof js.name === 'string' ? { name: js.name } : {}),
            ...(typeof js.description === 'string' ? { description: js.description } : {}),
          },
        },
      },
    };
  }
  throw new RequestRefusal(
    "Bedrock supports 'response_format' of type json_schema (structured output) only; json_object has no equivalent.",
    'response_format',
  );
}
