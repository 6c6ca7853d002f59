import { toGeminiSchema } from '#src/modules/providers/adapters/vertex/gemini-schema.mapper';
import { RequestRefusal } from '#src/modules/providers/adapters/shared/openai.shapes';
import { newToolCallId, thoughtSignatureOf } from '#src/modules/providers/adapters/vertex/tool-call-id.codec';

describe('JSON Schema → Vertex Schema', () => {
  it.each([
    ['a type list with null → nullable', { type: ['string', 'null'] }, { type: 'STRING', nullable: true }],
    ['several types → anyOf', { type: ['string', 'integer'] }, { anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] }],
    [
      'oneOf with a null branch → the other branch, nullable',
      { oneOf: [{ type: 'number' }, { type: 'null' }] },
      { type: 'NUMBER', nullable: true },
    ],
    [
      'anyOf of two branches stays anyOf',
      { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
      { anyOf: [{ type: 'STRING' }, { type: 'BOOLEAN' }] },
    ],
    ['const → a one-value enum', { const: 'fixed' }, { type: 'STRING', enum: ['fixed'] }],
    [
      'an integer enum → strings with format enum',
      { type: 'integer', enum: [1, 2] },
      { type: 'INTEGER', enum: ['1', '2'], format: 'enum' },
    ],
    ['a null enum member → nullable', { enum: ['a', null] }, { type: 'STRING', enum: ['a'], nullable: true }],
    [
      'formats Vertex lists are kept, others dropped',
      {
        type: 'object',
        properties: { at: { type: 'string', format: 'date-time' }, mail: { type: 'string', format: 'email' } },
      },
      { type: 'OBJECT', properties: { at: { type: 'STRING', format: 'date-time' }, mail: { type: 'STRING' } } },
    ],
    [
      'keywords Vertex lacks are dropped: additionalProperties, exclusive bounds, multipleOf, uniqueItems',
      {
        type: 'array',
        uniqueItems: true,
        minItems: 1,
        items: { type: 'number', exclusiveMinimum: 0, multipleOf: 2, maximum: 10 },
        additionalProperties: false,
      },
      { type: 'ARRAY', minItems: 1, items: { type: 'NUMBER', maximum: 10 } },
    ],
    [
      'a local $ref is inlined, its siblings win',
      {
        $defs: { n: { type: 'string', description: 'inner' } },
        type: 'object',
        properties: { a: { $ref: '#/$defs/n', description: 'outer' } },
      },
      { type: 'OBJECT', properties: { a: { type: 'STRING', description: 'outer' } } },
    ],
    [
      'a one-member allOf is merged',
      { definitions: { n: { type: 'integer' } }, allOf: [{ $ref: '#/definitions/n' }], title: 'Count' },
      { type: 'INTEGER', title: 'Count' },
    ],
    ['examples → example', { type: 'string', examples: ['x', 'y'] }, { type: 'STRING', example: 'x' }],
    ['an empty schema stays empty', {}, {}],
  ])('%s', (_name, input, expected) => {
    expect(toGeminiSchema(input, 'p')).toEqual(expected);
  });

  it.each([
    [
      'a recursive $ref',
      { $defs: { n: { type: 'object', properties: { next: { $ref: '#/$defs/n' } } } }, $ref: '#/$defs/n' },
    ],
    ['a $ref to nowhere', { $ref: '#/$defs/missing' }],
    ['allOf with two members', { allOf: [{ type: 'string' }, { minLength: 1 }] }],
    ['not', { not: { type: 'string' } }],
    ['tuple items', { type: 'array', items: [{ type: 'string' }] }],
    ['an unknown type', { type: 'decimal' }],
  ])('refuses %s, naming the parameter', (_name, input) => {
    const attempt = (): unknown => toGeminiSchema(input, 'response_format.json_schema.schema');
    expect(attempt).toThrow(RequestRefusal);
    expect(attempt).toThrow(
      expect.objectContaining({ param: 'response_format.json_schema.schema', code: 'invalid_schema' }),
    );
  });
});

describe('tool-call ids for Gemini function calls', () => {
  it('carries a thought signature through the id and back', () => {
    const sut = newToolCallId('AY89a18iOcFus5wr5bW5xN6zZ4aUiCyh+/==');
    expect(sut).toMatch(/^call_[0-9a-f]{24}__ts__[A-Za-z0-9_-]+$/);
    expect(thoughtSignatureOf(sut)).toBe(
      Buffer.from('AY89a18iOcFus5wr5bW5xN6zZ4aUiCyh+/==', 'base64').toString('base64'),
    );
  });

  it('has no signature when the call had none, or the id came from elsewhere', () => {
    expect(thoughtSignatureOf(newToolCallId())).toBeUndefined();
    expect(thoughtSignatureOf('call_abc')).toBeUndefined();
  });
});
