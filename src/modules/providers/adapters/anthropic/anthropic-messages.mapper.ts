import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { NotTranslatableError } from '#src/modules/providers/adapters/anthropic/anthropic-error.mapper';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

/** One Anthropic content block (text, image, document, tool_use, tool_result). */
export type AnthropicBlock = JsonObject;

export interface AnthropicTurn {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface TranslatedMessages {
  system: AnthropicBlock[];
  messages: AnthropicTurn[];
}

/** `data:<media type>[;params];base64,<data>` */
const DATA_URL = /^data:([^;,]+)(?:;[^,;]*)*;base64,(.*)$/s;

/**
 * `cache_control` on an OpenAI content part or message (the LiteLLM/OpenRouter convention for prompt
 * caching) is copied onto the Anthropic block: without a breakpoint Anthropic caches nothing.
 */
function withCacheControl(block: AnthropicBlock, source: JsonObject): AnthropicBlock {
  return isObject(source.cache_control) ? { ...block, cache_control: source.cache_control } : block;
}

function imageBlock(part: JsonObject, at: string): AnthropicBlock {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== 'string')
    throw new NotTranslatableError(`${at}.image_url.url`, 'An image part needs a URL.', 'invalid_value');
  const data = DATA_URL.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new NotTranslatableError(
    `${at}.image_url.url`,
    'Images must be https URLs or base64 data URLs for Anthropic models.',
    'invalid_value',
  );
}

/** OpenAI `file` parts: Anthropic reads PDFs as `document` blocks; OpenAI file ids mean nothing to it. */
function documentBlock(part: JsonObject, at: string): AnthropicBlock {
  const file = isObject(part.file) ? part.file : {};
  const data = typeof file.file_data === 'string' ? DATA_URL.exec(file.file_data) : null;
  if (!data || data[1] !== 'application/pdf') {
    throw new NotTranslatableError(
      `${at}.file`,
      'Anthropic models accept files only as base64 PDF data URLs (file_data); file ids are not supported.',
      'unsupported_value',
    );
  }
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data[2] } };
}

function partBlock(part: unknown, at: string): AnthropicBlock | null {
  if (!isObject(part)) throw new NotTranslatableError(at, 'A content part must be an object.', 'invalid_value');
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') throw new NotTranslatableError(`${at}.text`, 'Missing text.', 'invalid_value');
      // Anthropic rejects empty text blocks; an empty OpenAI part carries nothing anyway
      return part.text === '' ? null : withCacheControl({ type: 'text', text: part.text }, part);
    case 'refusal':
      return typeof part.refusal === 'string' && part.refusal !== '' ? { type: 'text', text: part.refusal } : null;
    case 'image_url':
      return withCacheControl(imageBlock(part, at), part);
    case 'file':
      return withCacheControl(documentBlock(part, at), part);
    default:
      throw new NotTranslatableError(
        `${at}.type`,
        `Content parts of type '${String(part.type)}' are not supported by Anthropic models.`,
        'unsupported_value',
      );
  }
}

function contentBlocks(content: unknown, at: string): AnthropicBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) {
    throw new NotTranslatableError(`${at}.content`, 'Content must be a string or an array of parts.', 'invalid_value');
  }
  return content.map((p, j) => partBlock(p, `${at}.content[${j}]`)).filter((b): b is AnthropicBlock => b !== null);
}

/** A message-level `cache_control` marks the message's last block (a breakpoint covers everything before it). */
function messageBlocks(message: JsonObject, at: string): AnthropicBlock[] {
  const blocks = contentBlocks(message.content, at);
  if (isObject(message.cache_control) && blocks.length > 0)
    blocks[blocks.length - 1] = withCacheControl(blocks[blocks.length - 1], message);
  return blocks;
}

function toolUseBlock(call: unknown, at: string): AnthropicBlock {
  const fn = isObject(call) && isObject(call.function) ? call.function : null;
  if (!isObject(call) || !fn || typeof fn.name !== 'string' || typeof call.id !== 'string') {
    throw new NotTranslatableError(at, 'A tool call needs an id and a function name.', 'invalid_value');
  }
  let input: unknown = {};
  const args = fn.arguments;
  try {
    if (typeof args === 'string' && args.trim() !== '') input = JSON.parse(args);
  } catch {
    input = undefined;
  }
  // Anthropic stores tool input as an object; there is no faithful way to send other JSON or broken text
  if (!isObject(input)) {
    throw new NotTranslatableError(
      `${at}.function.arguments`,
      'Tool call arguments must be a JSON object for Anthropic models.',
      'invalid_value',
    );
  }
  return { type: 'tool_use', id: call.id, name: fn.name, input };
}

function assistantBlocks(message: JsonObject, at: string): AnthropicBlock[] {
  if (message.function_call !== undefined && message.function_call !== null) {
    throw new NotTranslatableError(
      `${at}.function_call`,
      "Legacy 'function_call' is not translated; use 'tool_calls'.",
    );
  }
  const blocks = messageBlocks(message, at);
  if (Array.isArray(message.tool_calls))
    message.tool_calls.forEach((c, k) => blocks.push(toolUseBlock(c, `${at}.tool_calls[${k}]`)));
  return blocks;
}

function toolResultBlock(message: JsonObject, at: string): AnthropicBlock {
  if (typeof message.tool_call_id !== 'string') {
    throw new NotTranslatableError(`${at}.tool_call_id`, 'A tool message needs a tool_call_id.', 'invalid_value');
  }
  const content = typeof message.content === 'string' ? message.content : contentBlocks(message.content, at);
  return withCacheControl({ type: 'tool_result', tool_use_id: message.tool_call_id, content }, message);
}

/** Appends blocks to the conversation, merging into the previous turn when it has the same role. */
function append(turns: AnthropicTurn[], role: AnthropicTurn['role'], blocks: AnthropicBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

/**
 * OpenAI messages → Anthropic `system` + alternating user/assistant turns. System and developer messages,
 * wherever they appear, join the top-level `system` (every Claude model accepts it there); tool results
 * become `tool_result` blocks of a user turn; consecutive same-role messages merge into one turn.
 */
export function translateMessages(messages: unknown[]): TranslatedMessages {
  const system: AnthropicBlock[] = [];
  const turns: AnthropicTurn[] = [];
  messages.forEach((raw, i) => {
    const at = `messages[${i}]`;
    const message = isObject(raw) ? raw : {};
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...messageBlocks(message, at));
        return;
      case 'user':
        return append(turns, 'user', messageBlocks(message, at));
      case 'assistant':
        return append(turns, 'assistant', assistantBlocks(message, at));
      case 'tool':
        return append(turns, 'user', [toolResultBlock(message, at)]);
      default:
        throw new NotTranslatableError(
          `${at}.role`,
          `Messages with role '${String(message.role)}' are not supported by Anthropic models.`,
          'unsupported_value',
        );
    }
  });
  return { system, messages: turns };
}
