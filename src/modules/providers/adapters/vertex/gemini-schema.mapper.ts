import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject, RequestRefusal } from '#src/modules/providers/adapters/shared/openai.shapes';

/**
 * JSON Schema (what OpenAI's `response_format.json_schema.schema` and tool `parameters` carry) → the Vertex
 * `Schema` object, a subset of OpenAPI 3.0 (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Schema).
 *
 * - translated: `type` (type arrays with "null" → `nullable`), `anyOf`/`oneOf` (→ `anyOf`, a null branch →
 *   `nullable`), `enum`/`const` (values as strings, `format: enum` on non-string types), local `$ref`s into
 *   `$defs`/`definitions` (inlined), a one-element `allOf` (merged), `properties`, `required`, `items`, and
 *   the keywords Vertex shares with JSON Schema (title, description, default, example, min/max items,
 *   length, properties, pattern, minimum, maximum, propertyOrdering);
 * - dropped, because Vertex rejects them and they only narrow what a valid answer may be: `additionalProperties`,
 *   `$schema`, `$id`, `strict`, `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`, `uniqueItems`, and
 *   `format`s Vertex does not list (it knows `enum`/`date-time` for strings, `float`/`double`, `int32`/`int64`);
 * - refused with a 400: recursive `$ref`s, `allOf` with several members, `not`, `if`/`then`/`else`,
 *   `patternProperties`, `dependentSchemas`, `dependentRequired`, `unevaluatedProperties`, `contains`,
 *   `prefixItems` and tuple `items`, which change the shape of the answer and cannot be expressed.
 */
const TYPES: Record<string, string> = {
  string: 'STRING',
  number: 'NUMBER',
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  array: 'ARRAY',
  object: 'OBJECT',
  null: 'NULL',
};
const FORMATS: Record<string, string[]> = {
  STRING: ['enum', 'date-time'],
  NUMBER: ['float', 'double'],
  INTEGER: ['int32', 'int64'],
};
const COPIED = [
  'title',
  'description',
  'default',
  'example',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'pattern',
  'minimum',
  'maximum',
  'propertyOrdering',
];
const REFUSED = [
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'dependentSchemas',
  'dependentRequired',
  'unevaluatedProperties',
  'contains',
  'prefixItems',
];

export function toGeminiSchema(schema: unknown, param: string): JsonObject {
  if (!isObject(schema)) throw new RequestRefusal(`'${param}' must be a JSON Schema object.`, param, 'invalid_value');
  return convert(schema, { root: schema, param, refs: new Set() }, param);
}

interface Ctx {
  root: JsonObject;
  param: string;
  refs: Set<string>;
}

function refuse(ctx: Ctx, path: string, what: string): never {
  throw new RequestRefusal(
    `${what} at ${path} cannot be expressed in a Vertex AI schema (see docs/providers/vertex-ai.md).`,
    ctx.param,
    'invalid_schema',
  );
}

function convert(node: unknown, ctx: Ctx, path: string): JsonObject {
  if (node === true || (isObject(node) && Object.keys(node).length === 0)) return {};
  if (!isObject(node)) return refuse(ctx, path, 'A non-object schema');
  if (typeof node.$ref === 'string') return convertRef(node, node.$ref, ctx, path);
  if (Array.isArray(node.allOf)) {
    if (node.allOf.length !== 1) return refuse(ctx, path, "'allOf' with several schemas");
    const { allOf: _allOf, ...rest } = node;
    return convert({ ...(isObject(node.allOf[0]) ? node.allOf[0] : {}), ...rest }, ctx, path);
  }
  for (const k of REFUSED) if (k in node) refuse(ctx, path, `'${k}'`);
  if (Array.isArray(node.items)) refuse(ctx, path, 'Tuple items');

  const out: JsonObject = {};
  const nullable = [
    convertTypes(node, out, ctx, path),
    convertAlternatives(node, out, ctx, path),
    convertValues(node, out),
  ];
  if (node.nullable === true || nullable.includes(true)) out.nullable = true;
  if (typeof node.format === 'string' && FORMATS[out.type as string]?.includes(node.format)) out.format ??= node.format;
  for (const k of COPIED) if (node[k] !== undefined) out[k] = node[k];
  if (out.example === undefined && Array.isArray(node.examples) && node.examples.length > 0)
    out.example = node.examples[0] as unknown;
  convertContainers(node, out, ctx, path);
  return out;
}

/** `type` (a name or a list of names); returns whether "null" was among several. */
function convertTypes(node: JsonObject, out: JsonObject, ctx: Ctx, path: string): boolean {
  const types = Array.isArray(node.type) ? (node.type as unknown[]) : node.type === undefined ? [] : [node.type];
  const withNull = types.includes('null') && types.length > 1;
  const real = withNull ? types.filter((t) => t !== 'null') : types;
  if (real.length === 1) out.type = typeName(real[0], ctx, path);
  else if (real.length > 1) out.anyOf = real.map((t) => ({ type: typeName(t, ctx, path) }));
  return withNull;
}

/** `anyOf` / `oneOf` → `anyOf`; a `{"type": "null"}` branch makes the schema nullable instead. */
function convertAlternatives(node: JsonObject, out: JsonObject, ctx: Ctx, path: string): boolean {
  const alternatives = node.anyOf ?? node.oneOf;
  if (!Array.isArray(alternatives)) return false;
  const isNull = (a: unknown): boolean => isObject(a) && a.type === 'null';
  const kept = alternatives.filter((a) => !isNull(a));
  if (kept.length === 1) Object.assign(out, convert(kept[0], ctx, `${path}.anyOf[0]`));
  else out.anyOf = kept.map((a, i) => convert(a, ctx, `${path}.anyOf[${i}]`));
  return kept.length < alternatives.length;
}

/** `enum` / `const` → string `enum` (Vertex's enum holds strings; other types get `format: enum`). */
function convertValues(node: JsonObject, out: JsonObject): boolean {
  const values = Array.isArray(node.enum) ? (node.enum as unknown[]) : 'const' in node ? [node.const] : null;
  if (!values) return false;
  out.enum = values.filter((v) => v !== null).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  out.type ??= 'STRING';
  if (out.type !== 'STRING') out.format = 'enum';
  return values.includes(null);
}

function convertContainers(node: JsonObject, out: JsonObject, ctx: Ctx, path: string): void {
  if (isObject(node.properties)) {
    out.type ??= 'OBJECT';
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([k, v]) => [k, convert(v, ctx, `${path}.properties.${k}`)]),
    );
    if (Array.isArray(node.required)) out.required = node.required.filter((r) => typeof r === 'string');
  }
  if (node.items !== undefined) {
    out.type ??= 'ARRAY';
    out.items = convert(node.items, ctx, `${path}.items`);
  }
}

function typeName(t: unknown, ctx: Ctx, path: string): string {
  const name = typeof t === 'string' ? TYPES[t] : undefined;
  return name ?? refuse(ctx, path, `The type ${JSON.stringify(t)}`);
}

/** Inlines a local `$ref` (`#/$defs/X`, `#/definitions/X`); a reference to itself on the way is recursion. */
function convertRef(node: JsonObject, ref: string, ctx: Ctx, path: string): JsonObject {
  if (ctx.refs.has(ref)) refuse(ctx, path, `The recursive reference '${ref}'`);
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = m ? ctx.root[m[1]] : undefined;
  const target = m && isObject(defs) ? defs[m[2].replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  if (!isObject(target)) refuse(ctx, path, `The reference '${ref}'`);
  const { $ref: _ref, ...siblings } = node;
  const inner: Ctx = { ...ctx, refs: new Set([...ctx.refs, ref]) };
  return convert({ ...target, ...siblings }, inner, path);
}
