import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';

const ROLES = new Set(['user', 'assistant']);

/** A client-supplied value safe to quote in an error message. */
function label(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 64) : typeof v;
}

function requireObject(v: unknown, path: string): JsonObject {
  if (!isObject(v)) throw ProxyException.invalidValue(path, `'${path}' must be an object.`);
  return v;
}

function requireString(block: JsonObject, field: string, path: string): string {
  const v = block[field];
  if (typeof v !== 'string')
    throw ProxyException.invalidValue(`${path}.${field}`, `'${path}.${field}' must be a string.`);
  return v;
}

function unsupportedBlock(block: JsonObject, path: string): never {
  throw ProxyException.unsupportedParameter(
    `${path}.type`,
    `'${path}.type' '${label(block.type)}' is not supported for this model by this gateway.`,
  );
}

function misplacedBlock(block: JsonObject, path: string, role: string): never {
  throw ProxyException.invalidValue(`${path}.type`, `'${label(block.type)}' blocks are not allowed in ${role} turns.`);
}

/** `system` (a string, or text blocks whose `cache_control` chat cannot carry) → one system message, or null. */
export function systemMessage(system: unknown): JsonObject | null {
  if (system === undefined || system === null) return null;
  if (typeof system === 'string') return system === '' ? null : { role: 'system', content: system };
  if (!Array.isArray(system)) {
    throw new ProxyException(
      ProxyErrorCode.InvalidType,
      "'system' must be a string or an array of text blocks.",
      'system',
    );
  }
  const texts = system.map((raw, i) => {
    const path = `system[${i}]`;
    const block = requireObject(raw, path);
    if (block.type !== 'text') unsupportedBlock(block, path);
    return requireString(block, 'text', path);
  });
  // one string, not text parts: every chat provider accepts a string system message, and separate blocks
  // stay separate paragraphs rather than running into each other
  const text = texts.filter((t) => t !== '').join('\n\n');
  return text === '' ? null : { role: 'system', content: text };
}

/** An `image` block → a chat `image_url` part (base64 sources as a data URL). */
function imagePart(block: JsonObject, path: string): JsonObject {
  const source = requireObject(block.source, `${path}.source`);
  const at = `${path}.source`;
  switch (source.type) {
    case 'base64': {
      const mediaType = requireString(source, 'media_type', at);
      return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${requireString(source, 'data', at)}` } };
    }
    case 'url':
      return { type: 'image_url', image_url: { url: requireString(source, 'url', at) } };
    default:
      throw ProxyException.unsupportedParameter(
        `${at}.type`,
        `'${at}.type' '${label(source.type)}' is not supported for this model; send a base64 or url image source.`,
      );
  }
}

/**
 * A `tool_result` block → a chat tool message. Chat tool messages carry text only, so images in the result
 * are returned apart, for the user message that follows the tool messages.
 */
function toolResult(block: JsonObject, path: string): { message: JsonObject; images: JsonObject[] } {
  const toolCallId = requireString(block, 'tool_use_id', path);
  const texts: string[] = [];
  const images: JsonObject[] = [];
  const content = block.content;
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    content.forEach((raw, k) => {
      const at = `${path}.content[${k}]`;
      const part = requireObject(raw, at);
      if (part.type === 'text') texts.push(requireString(part, 'text', at));
      else if (part.type === 'image') images.push(imagePart(part, at));
      else unsupportedBlock(part, at);
    });
  } else if (content !== undefined && content !== null) {
    throw ProxyException.invalidValue(`${path}.content`, `'${path}.content' must be a string or an array of blocks.`);
  }
  const text = texts.join('\n');
  // chat has no error flag on a tool result; the model reads the failure from the text instead
  const message = {
    role: 'tool',
    tool_call_id: toolCallId,
    content: block.is_error === true ? `Error: ${text}` : text,
  };
  return { message, images };
}

/** A user turn → its tool messages first (chat wants them right after the assistant's calls), then the rest. */
function userTurn(content: unknown[], path: string): JsonObject[] {
  const tools: JsonObject[] = [];
  const toolImages: JsonObject[] = [];
  const parts: JsonObject[] = [];
  content.forEach((raw, j) => {
    const at = `${path}.content[${j}]`;
    const block = requireObject(raw, at);
    switch (block.type) {
      case 'text':
        return parts.push({ type: 'text', text: requireString(block, 'text', at) });
      case 'image':
        return parts.push(imagePart(block, at));
      case 'tool_result': {
        const result = toolResult(block, at);
        tools.push(result.message);
        return toolImages.push(...result.images);
      }
      case 'thinking':
      case 'redacted_thinking':
        return;
      case 'tool_use':
        return misplacedBlock(block, at, 'user');
      default:
        return unsupportedBlock(block, at);
    }
  });
  const rest = [...toolImages, ...parts];
  return rest.length > 0 ? [...tools, { role: 'user', content: rest }] : tools;
}

function toolCall(block: JsonObject, path: string): JsonObject {
  const input = block.input ?? {};
  if (!isObject(input)) throw ProxyException.invalidValue(`${path}.input`, `'${path}.input' must be an object.`);
  return {
    id: requireString(block, 'id', path),
    type: 'function',
    function: { name: requireString(block, 'name', path), arguments: JSON.stringify(input) },
  };
}

/**
 * An assistant turn → one assistant message: its text blocks as one string, its tool_use blocks as
 * `tool_calls`. Thinking blocks are dropped (another model cannot verify their signatures); a turn left
 * with nothing is left out.
 */
function assistantTurn(content: unknown[], path: string): JsonObject[] {
  let text = '';
  const calls: JsonObject[] = [];
  content.forEach((raw, j) => {
    const at = `${path}.content[${j}]`;
    const block = requireObject(raw, at);
    switch (block.type) {
      case 'text':
        text += requireString(block, 'text', at);
        return;
      case 'tool_use':
        return calls.push(toolCall(block, at));
      case 'thinking':
      case 'redacted_thinking':
        return;
      case 'tool_result':
        return misplacedBlock(block, at, 'assistant');
      default:
        // images included: chat carries them in user messages only
        return unsupportedBlock(block, at);
    }
  });
  if (text === '' && calls.length === 0) return [];
  const message: JsonObject = { role: 'assistant', content: text === '' ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  return [message];
}

function turn(raw: unknown, path: string): JsonObject[] {
  const message = requireObject(raw, path);
  const role = message.role;
  if (typeof role !== 'string' || !ROLES.has(role))
    throw ProxyException.invalidValue(`${path}.role`, `'${path}.role' must be 'user' or 'assistant'.`);
  const content = message.content;
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content))
    throw ProxyException.invalidValue(`${path}.content`, `'${path}.content' must be a string or an array of blocks.`);
  return role === 'user' ? userTurn(content, path) : assistantTurn(content, path);
}

/** Anthropic `messages` (required, non-empty) → chat messages, in order. */
export function turnsToMessages(messages: unknown): JsonObject[] {
  if (messages === undefined || messages === null) {
    throw new ProxyException(ProxyErrorCode.MissingParameter, "Missing required parameter: 'messages'.", 'messages');
  }
  if (!Array.isArray(messages)) {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'messages' must be an array.", 'messages');
  }
  if (messages.length === 0) throw ProxyException.invalidValue('messages', "'messages' must not be empty.");
  return messages.flatMap((m, i) => turn(m, `messages[${i}]`));
}
