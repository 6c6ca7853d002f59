import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';

const ROLES = new Map([
  ['user', 'user'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  ['developer', 'system'],
]);

function requireString(item: JsonObject, field: string, path: string): string {
  const v = item[field];
  if (typeof v !== 'string')
    throw ProxyException.invalidValue(`${path}.${field}`, `'${path}.${field}' must be a string.`);
  return v;
}

/**
 * Builds the chat messages in order. Function calls join the assistant message directly before them (the
 * text the model wrote before calling), so a turn of text + parallel calls stays one assistant message.
 */
class MessageList {
  readonly messages: JsonObject[] = [];
  private assistant: JsonObject | null = null;

  add(message: JsonObject): void {
    this.messages.push(message);
    this.assistant = message.role === 'assistant' ? message : null;
  }

  addToolCall(call: JsonObject): void {
    if (!this.assistant) this.add({ role: 'assistant', content: null });
    const assistant = this.assistant as JsonObject;
    assistant.tool_calls = [...((assistant.tool_calls as JsonObject[] | undefined) ?? []), call];
  }
}

/** One content part of a message item → a chat content part (text or image_url). */
function contentPart(part: unknown, path: string): JsonObject {
  if (!isObject(part)) throw ProxyException.invalidValue(path, `'${path}' must be a content part object.`);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: requireString(part, 'text', path) };
    case 'refusal':
      return { type: 'text', text: requireString(part, 'refusal', path) };
    case 'input_image':
      return imagePart(part, path);
    case 'input_file':
      throw ProxyException.unsupportedParameter(
        path,
        `'${path}': file inputs are not supported for this model by this gateway.`,
      );
    default:
      throw ProxyException.invalidValue(
        `${path}.type`,
        `'${path}.type' must be one of input_text, output_text, refusal, input_image.`,
      );
  }
}

function imagePart(part: JsonObject, path: string): JsonObject {
  if (typeof part.image_url !== 'string' || part.image_url === '') {
    if (part.file_id !== undefined && part.file_id !== null) {
      throw ProxyException.unsupportedParameter(
        `${path}.file_id`,
        `'${path}.file_id': file ids are not supported for this model; send 'image_url'.`,
      );
    }
    throw ProxyException.invalidValue(`${path}.image_url`, `'${path}.image_url' must be a URL or a data URL.`);
  }
  const detail = typeof part.detail === 'string' ? { detail: part.detail } : {};
  return { type: 'image_url', image_url: { url: part.image_url, ...detail } };
}

/** A message item (`type: 'message'` or an easy input message without type) → a chat message. */
function messageItem(item: JsonObject, path: string): JsonObject {
  const role = typeof item.role === 'string' ? ROLES.get(item.role) : undefined;
  if (!role)
    throw ProxyException.invalidValue(
      `${path}.role`,
      `'${path}.role' must be one of user, assistant, system, developer.`,
    );
  const content = item.content;
  if (typeof content === 'string') return { role, content };
  if (!Array.isArray(content))
    throw ProxyException.invalidValue(`${path}.content`, `'${path}.content' must be a string or an array.`);
  const parts = content.map((p, j) => contentPart(p, `${path}.content[${j}]`));
  if (role === 'user') return { role, content: parts };
  // chat carries images only in user messages; system and assistant text goes as one string
  const image = parts.findIndex((p) => p.type !== 'text');
  if (image >= 0) {
    const at = `${path}.content[${image}]`;
    throw ProxyException.unsupportedParameter(
      at,
      `'${at}': images are only supported in user messages for this model.`,
    );
  }
  return { role, content: parts.map((p) => p.text as string).join('') };
}

function functionCall(item: JsonObject, path: string): JsonObject {
  return {
    id: requireString(item, 'call_id', path),
    type: 'function',
    function: { name: requireString(item, 'name', path), arguments: requireString(item, 'arguments', path) },
  };
}

function functionCallOutput(item: JsonObject, path: string): JsonObject {
  const callId = requireString(item, 'call_id', path);
  const output = item.output;
  if (typeof output === 'string') return { role: 'tool', tool_call_id: callId, content: output };
  if (!Array.isArray(output))
    throw ProxyException.invalidValue(`${path}.output`, `'${path}.output' must be a string or an array.`);
  const text = output.map((part: unknown, j) => {
    const at = `${path}.output[${j}]`;
    if (isObject(part) && part.type === 'input_text') return requireString(part, 'text', at);
    throw ProxyException.unsupportedParameter(
      at,
      `'${at}': tool outputs other than input_text are not supported for this model.`,
    );
  });
  return { role: 'tool', tool_call_id: callId, content: text.join('') };
}

function addItem(list: MessageList, item: unknown, path: string): void {
  if (!isObject(item)) throw ProxyException.invalidValue(path, `'${path}' must be an object.`);
  switch (item.type) {
    case undefined:
    case 'message':
      return list.add(messageItem(item, path));
    case 'function_call':
      return list.addToolCall(functionCall(item, path));
    case 'function_call_output':
      return list.add(functionCallOutput(item, path));
    case 'reasoning':
      // the provider's own reasoning cannot be replayed to another model; dropping it keeps the turn intact
      return;
    case 'item_reference':
      throw ProxyException.unsupportedParameter(
        path,
        `'${path}': item references need stored responses, which this model does not have.`,
      );
    default:
      throw ProxyException.unsupportedParameter(
        `${path}.type`,
        `'${path}.type' '${typeof item.type === 'string' ? item.type.slice(0, 64) : typeof item.type}' is not supported for this model by this gateway.`,
      );
  }
}

/** `instructions` and `input` → chat messages, the instructions first as a system message. */
export function inputToMessages(input: unknown, instructions: unknown): JsonObject[] {
  const list = new MessageList();
  if (typeof instructions === 'string' && instructions !== '') list.add({ role: 'system', content: instructions });
  else if (instructions !== undefined && instructions !== null && typeof instructions !== 'string') {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'instructions' must be a string.", 'instructions');
  }
  if (input === undefined || input === null) {
    throw new ProxyException(ProxyErrorCode.MissingParameter, "Missing required parameter: 'input'.", 'input');
  }
  if (typeof input === 'string') {
    if (input === '') throw ProxyException.invalidValue('input', "'input' must not be empty.");
    list.add({ role: 'user', content: input });
    return list.messages;
  }
  if (!Array.isArray(input)) {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'input' must be a string or an array of items.", 'input');
  }
  const before = list.messages.length;
  input.forEach((item, i) => addItem(list, item, `input[${i}]`));
  if (list.messages.length === before)
    throw ProxyException.invalidValue('input', "'input' must contain at least one message.");
  return list.messages;
}
