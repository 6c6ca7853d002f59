import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject, RequestRefusal } from '#src/modules/providers/adapters/shared/openai.shapes';
import { toGeminiSchema } from '#src/modules/providers/adapters/vertex/gemini-schema.mapper';

interface Choice {
  mode: 'AUTO' | 'ANY' | 'NONE';
  /** Functions the model may call; with AUTO the others are left out of the declarations instead. */
  names?: string[];
}

/**
 * OpenAI `tools` → `tools[].functionDeclarations`, `tool_choice` → `toolConfig.functionCallingConfig`
 * (model-reference/function-calling): auto → AUTO, none → NONE, required → ANY, a named function → ANY with
 * `allowedFunctionNames`. For `allowed_tools` in auto mode the other declarations are left out, since Vertex
 * takes `allowedFunctionNames` only with ANY.
 */
export function toGeminiTooling(body: JsonObject): { tools?: JsonObject[]; toolConfig?: JsonObject } {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return {};
  const choice = toChoice(body.tool_choice);
  let declarations = body.tools.map((t: unknown, i) => toDeclaration(t, i));
  if (choice?.mode === 'AUTO' && choice.names)
    declarations = declarations.filter((d) => choice.names!.includes(d.name as string));
  const result: { tools: JsonObject[]; toolConfig?: JsonObject } = { tools: [{ functionDeclarations: declarations }] };
  if (choice) {
    result.toolConfig = {
      functionCallingConfig: {
        mode: choice.mode,
        ...(choice.mode === 'ANY' && choice.names ? { allowedFunctionNames: choice.names } : {}),
      },
    };
  }
  return result;
}

function toDeclaration(tool: unknown, i: number): JsonObject {
  const at = `tools[${i}]`;
  if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function))
    throw new RequestRefusal(`'${at}': only function tools are supported for Vertex AI.`, at);
  const fn = tool.function;
  if (typeof fn.name !== 'string') throw new RequestRefusal(`'${at}.function.name' is required.`, at, 'invalid_value');
  const declaration: JsonObject = { name: fn.name };
  if (typeof fn.description === 'string') declaration.description = fn.description;
  if (fn.parameters !== undefined && fn.parameters !== null) {
    const schema = toGeminiSchema(fn.parameters, `${at}.function.parameters`);
    // Vertex refuses an OBJECT without properties; a function without parameters simply has none
    const empty =
      schema.type === 'OBJECT' && Object.keys((schema.properties as JsonObject | undefined) ?? {}).length === 0;
    if (!empty) declaration.parameters = schema;
  }
  return declaration;
}

function toChoice(tc: unknown): Choice | undefined {
  if (tc === undefined || tc === null) return undefined;
  if (tc === 'auto') return { mode: 'AUTO' };
  if (tc === 'none') return { mode: 'NONE' };
  if (tc === 'required') return { mode: 'ANY' };
  if (isObject(tc) && tc.type === 'function' && isObject(tc.function) && typeof tc.function.name === 'string')
    return { mode: 'ANY', names: [tc.function.name] };
  if (isObject(tc) && tc.type === 'allowed_tools' && isObject(tc.allowed_tools)) {
    const allowed = tc.allowed_tools;
    const names = (Array.isArray(allowed.tools) ? (allowed.tools as JsonObject[]) : [])
      .map((t) => (isObject(t.function) ? t.function.name : undefined))
      .filter((n): n is string => typeof n === 'string');
    return { mode: allowed.mode === 'required' ? 'ANY' : 'AUTO', names };
  }
  throw new RequestRefusal("'tool_choice' is not a value this gateway understands.", 'tool_choice', 'invalid_value');
}
