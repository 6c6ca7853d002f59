import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';

export interface ToolsTranslation {
  /** Chat function tools; empty when the request had none or every tool was dropped. */
  tools: JsonObject[];
  /** Absent when the request had none, or when it only named dropped tools. */
  toolChoice?: unknown;
  /** Names (else types) of the built-in tools left out, each once. */
  dropped: string[];
}

const CHOICE_MODES = new Set(['auto', 'none', 'required']);

function functionTool(tool: JsonObject, path: string): JsonObject {
  if (typeof tool.name !== 'string' || tool.name === '') {
    throw ProxyException.invalidValue(`${path}.name`, `'${path}.name' must be a non-empty string.`);
  }
  const fn: JsonObject = { name: tool.name };
  if (typeof tool.description === 'string') fn.description = tool.description;
  if (isObject(tool.parameters)) fn.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

function toolLabel(tool: JsonObject): string {
  if (typeof tool.name === 'string' && tool.name !== '') return tool.name;
  return typeof tool.type === 'string' ? tool.type : 'unknown';
}

function translateToolList(tools: unknown, strict: boolean): { tools: JsonObject[]; dropped: string[] } {
  if (tools === undefined || tools === null) return { tools: [], dropped: [] };
  if (!Array.isArray(tools)) throw new ProxyException(ProxyErrorCode.InvalidType, "'tools' must be an array.", 'tools');
  const kept: JsonObject[] = [];
  const dropped = new Set<string>();
  tools.forEach((tool: unknown, i) => {
    const path = `tools[${i}]`;
    if (!isObject(tool)) throw ProxyException.invalidValue(path, `'${path}' must be an object.`);
    if (tool.type === 'function') {
      kept.push(functionTool(tool, path));
      return;
    }
    const label = toolLabel(tool);
    if (strict) {
      throw ProxyException.unsupportedParameter(
        path,
        `The tool '${label.slice(0, 64)}' cannot run on this model (strict mode refuses to drop it).`,
      );
    }
    dropped.add(label);
  });
  return { tools: kept, dropped: [...dropped] };
}

function refuseChoice(strict: boolean, what: string): undefined {
  if (strict)
    throw ProxyException.unsupportedParameter(
      'tool_choice',
      `'tool_choice' names ${what}, which cannot run on this model.`,
    );
  return undefined;
}

/** `allowed_tools` → the tool list narrowed to the allowed functions, and its mode as the choice. */
function allowedTools(choice: JsonObject, tools: JsonObject[], strict: boolean): ToolsTranslation {
  if (choice.mode !== 'auto' && choice.mode !== 'required') {
    throw ProxyException.invalidValue('tool_choice.mode', "'tool_choice.mode' must be 'auto' or 'required'.");
  }
  if (!Array.isArray(choice.tools))
    throw ProxyException.invalidValue('tool_choice.tools', "'tool_choice.tools' must be an array.");
  const entries = choice.tools.filter(isObject);
  const names = new Set(entries.filter((t) => t.type === 'function').map((t) => t.name));
  if (strict && entries.some((t) => t.type !== 'function')) refuseChoice(strict, 'a built-in tool');
  const narrowed = tools.filter((t) => names.has((t.function as JsonObject).name));
  // none of the allowed tools can run here: the model may call none of them
  if (narrowed.length === 0) return { tools, toolChoice: 'none', dropped: [] };
  return { tools: narrowed, toolChoice: choice.mode, dropped: [] };
}

function translateChoice(choice: unknown, tools: JsonObject[], dropped: string[], strict: boolean): ToolsTranslation {
  const base = { tools, dropped };
  if (choice === undefined || choice === null) return base;
  if (typeof choice === 'string') {
    if (!CHOICE_MODES.has(choice))
      throw ProxyException.invalidValue('tool_choice', "'tool_choice' must be 'auto', 'none' or 'required'.");
    return { ...base, toolChoice: choice };
  }
  if (!isObject(choice)) {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'tool_choice' must be a string or an object.", 'tool_choice');
  }
  if (choice.type === 'allowed_tools') return { ...allowedTools(choice, tools, strict), dropped };
  if (choice.type !== 'function') return { ...base, toolChoice: refuseChoice(strict, 'a built-in tool') };
  if (typeof choice.name !== 'string' || choice.name === '') {
    throw ProxyException.invalidValue('tool_choice.name', "'tool_choice.name' must be a non-empty string.");
  }
  const kept = tools.some((t) => (t.function as JsonObject).name === choice.name);
  if (!kept && dropped.includes(choice.name)) {
    return { ...base, toolChoice: refuseChoice(strict, `the tool '${choice.name.slice(0, 64)}'`) };
  }
  return { ...base, toolChoice: { type: 'function', function: { name: choice.name } } };
}

/**
 * Responses `tools` and `tool_choice` → chat. Function tools are kept; every other tool type (the built-in
 * tools OpenAI runs server-side, and client tool kinds chat has no shape for) is dropped and named, or
 * refused in strict mode. A choice is left out when no tool is left, since chat refuses one without tools.
 */
export function translateTools(tools: unknown, toolChoice: unknown, strict: boolean): ToolsTranslation {
  const list = translateToolList(tools, strict);
  const out = translateChoice(toolChoice, list.tools, list.dropped, strict);
  if (out.tools.length === 0) return { tools: [], dropped: out.dropped };
  return out;
}
