import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';

export interface ToolsTranslation {
  /** Chat function tools; empty when the request had none or every tool was dropped. */
  tools: JsonObject[];
  /** Absent when the request had none, or when it named a dropped tool. */
  toolChoice?: unknown;
  /** `false` when `tool_choice.disable_parallel_tool_use` asked for one call at a time. */
  parallelToolCalls?: boolean;
  /** Names (else types) of the server and built-in tools left out, each once. */
  dropped: string[];
}

const CHOICES: Record<string, string> = { auto: 'auto', any: 'required', none: 'none' };

/** A custom tool (`{name, description, input_schema}`) → a chat function tool. `cache_control` is not carried. */
function customTool(tool: JsonObject, path: string): JsonObject {
  if (typeof tool.name !== 'string' || tool.name === '') {
    throw ProxyException.invalidValue(`${path}.name`, `'${path}.name' must be a non-empty string.`);
  }
  if (!isObject(tool.input_schema)) {
    throw ProxyException.invalidValue(`${path}.input_schema`, `'${path}.input_schema' must be an object.`);
  }
  const fn: JsonObject = { name: tool.name };
  if (typeof tool.description === 'string') fn.description = tool.description;
  fn.parameters = tool.input_schema;
  return { type: 'function', function: fn };
}

function toolLabel(tool: JsonObject): string {
  if (typeof tool.name === 'string' && tool.name !== '') return tool.name;
  return typeof tool.type === 'string' ? tool.type : 'unknown';
}

/**
 * Custom tools (no `type`, or `custom`) are kept; every typed tool (web search, code execution, bash, the
 * text editor, computer use, ...) is one Anthropic runs or has trained the model on, so it is dropped.
 */
function translateToolList(tools: unknown): { tools: JsonObject[]; dropped: string[] } {
  if (tools === undefined || tools === null) return { tools: [], dropped: [] };
  if (!Array.isArray(tools)) throw new ProxyException(ProxyErrorCode.InvalidType, "'tools' must be an array.", 'tools');
  const kept: JsonObject[] = [];
  const dropped = new Set<string>();
  tools.forEach((tool: unknown, i) => {
    const path = `tools[${i}]`;
    if (!isObject(tool)) throw ProxyException.invalidValue(path, `'${path}' must be an object.`);
    if (tool.type === undefined || tool.type === null || tool.type === 'custom') kept.push(customTool(tool, path));
    else dropped.add(toolLabel(tool));
  });
  return { tools: kept, dropped: [...dropped] };
}

function translateChoice(choice: JsonObject, tools: JsonObject[], dropped: string[]): unknown {
  if (typeof choice.type === 'string' && choice.type in CHOICES) return CHOICES[choice.type];
  if (choice.type !== 'tool') {
    throw ProxyException.invalidValue('tool_choice.type', "'tool_choice.type' must be auto, any, tool or none.");
  }
  if (typeof choice.name !== 'string' || choice.name === '') {
    throw ProxyException.invalidValue('tool_choice.name', "'tool_choice.name' must be a non-empty string.");
  }
  const name = choice.name;
  // forcing a tool that cannot run here: leave the choice to the model, as the tool itself is left out
  if (dropped.includes(name) && !tools.some((t) => (t.function as JsonObject).name === name)) return undefined;
  return { type: 'function', function: { name } };
}

/**
 * Anthropic `tools` and `tool_choice` → chat. The choice and the parallel switch are left out when no tool
 * is left, since chat refuses either without tools.
 */
export function translateTools(tools: unknown, toolChoice: unknown): ToolsTranslation {
  const list = translateToolList(tools);
  if (toolChoice !== undefined && toolChoice !== null && !isObject(toolChoice)) {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'tool_choice' must be an object.", 'tool_choice');
  }
  const choice = isObject(toolChoice) ? translateChoice(toolChoice, list.tools, list.dropped) : undefined;
  if (list.tools.length === 0) return list;
  const out: ToolsTranslation = { ...list };
  if (choice !== undefined) out.toolChoice = choice;
  if (isObject(toolChoice) && toolChoice.disable_parallel_tool_use === true) out.parallelToolCalls = false;
  return out;
}
