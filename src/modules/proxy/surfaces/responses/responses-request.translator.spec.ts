import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { responsesToChat } from '#src/modules/proxy/surfaces/responses/responses-request.translator';

const translate = (body: JsonObject, strict = false) => responsesToChat({ model: 'm', ...body }, { strict });

function refusalOf(body: JsonObject, strict = false): { code: string; status: number; param: string | null } {
  try {
    translate(body, strict);
  } catch (err) {
    if (!(err instanceof ProxyException)) throw err;
    return { code: err.code, status: err.status, param: err.param };
  }
  throw new Error('expected a refusal');
}

const weather = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: true };
const chatWeather = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: true },
};

describe('responsesToChat: input items', () => {
  it.each<[string, JsonObject, JsonObject[]]>([
    ['a string input is one user message', { input: 'Hi' }, [{ role: 'user', content: 'Hi' }]],
    [
      'instructions become a system message first',
      { instructions: 'Be brief.', input: 'Hi' },
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    ],
    [
      'easy messages without type, developer as system',
      {
        input: [
          { role: 'developer', content: 'Rules' },
          { role: 'user', content: 'Q' },
        ],
      },
      [
        { role: 'system', content: 'Rules' },
        { role: 'user', content: 'Q' },
      ],
    ],
    [
      'user parts: text and images (url and data URL, with detail)',
      {
        input: [
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is this?' },
              { type: 'input_image', image_url: 'https://x/a.png', detail: 'low' },
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
            ],
          },
        ],
      },
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    ],
    [
      'assistant output_text and refusal parts become its text',
      {
        input: [
          { role: 'user', content: 'Q' },
          {
            type: 'message',
            role: 'assistant',
            id: 'msg_1',
            status: 'completed',
            content: [
              { type: 'output_text', text: 'Part one. ', annotations: [] },
              { type: 'refusal', refusal: 'No more.' },
            ],
          },
        ],
      },
      [
        { role: 'user', content: 'Q' },
        { role: 'assistant', content: 'Part one. No more.' },
      ],
    ],
    [
      'text + two function calls form one assistant turn, outputs become tool messages, reasoning is dropped',
      {
        input: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'xyz' },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
          { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'reasoning', id: 'rs_2', summary: [] },
          { type: 'function_call', call_id: 'call_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
          { type: 'function_call_output', call_id: 'call_a', output: 'sunny' },
          { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: 'rain' }] },
        ],
      },
      [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_b', content: 'rain' },
      ],
    ],
    [
      'a function call after a tool output opens a new assistant message without text',
      {
        input: [
          { role: 'user', content: 'Q' },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'r1' },
          { type: 'function_call', call_id: 'c2', name: 'f', arguments: '{}' },
        ],
      },
      [
        { role: 'user', content: 'Q' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'r1' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c2', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
      ],
    ],
  ])('%s', (_name, body, messages) => {
    expect(translate(body).chat.messages).toEqual(messages);
  });

  it.each<[string, JsonObject, string, string]>([
    ['missing input', {}, 'missing_required_parameter', 'input'],
    ['empty string input', { input: '' }, 'invalid_value', 'input'],
    ['empty array input', { input: [] }, 'invalid_value', 'input'],
    ['input of reasoning only', { input: [{ type: 'reasoning', summary: [] }] }, 'invalid_value', 'input'],
    ['a number as input', { input: 3 }, 'invalid_type', 'input'],
    ['an unknown role', { input: [{ role: 'tool', content: 'x' }] }, 'invalid_value', 'input[0].role'],
    ['a prototype key as role', { input: [{ role: 'constructor', content: 'x' }] }, 'invalid_value', 'input[0].role'],
    [
      'an input_file part',
      { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
      'unsupported_parameter',
      'input[0].content[0]',
    ],
    [
      'an image by file id',
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
      'unsupported_parameter',
      'input[0].content[0].file_id',
    ],
    [
      'an image in a system message',
      { input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/a.png' }] }] },
      'unsupported_parameter',
      'input[0].content[0]',
    ],
    ['an item reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'unsupported_parameter', 'input[0]'],
    [
      'a built-in tool call item',
      { input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] },
      'unsupported_parameter',
      'input[0].type',
    ],
    [
      'a function call without call_id',
      { input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
      'invalid_value',
      'input[0].call_id',
    ],
    [
      'a tool output with an image',
      {
        input: [
          {
            type: 'function_call_output',
            call_id: 'c',
            output: [{ type: 'input_image', image_url: 'https://x/a.png' }],
          },
        ],
      },
      'unsupported_parameter',
      'input[0].output[0]',
    ],
    ['instructions that are not a string', { instructions: 5, input: 'Hi' }, 'invalid_type', 'instructions'],
  ])('refuses %s', (_name, body, code, param) => {
    expect(refusalOf(body)).toEqual({ code, status: 400, param });
  });
});

describe('responsesToChat: tools and tool_choice', () => {
  const builtIns = [
    { type: 'web_search' },
    { type: 'file_search', vector_store_ids: ['vs_1'] },
    { type: 'custom', name: 'apply_patch', format: { type: 'grammar' } },
    { type: 'namespace', name: 'shell_tools', tools: [] },
    { type: 'mcp', server_label: 'deepwiki' },
  ];

  it('maps function tools and drops the built-in ones, naming each', () => {
    const sut = translate({
      input: 'Hi',
      tools: [weather, ...builtIns],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(sut.chat.tools).toEqual([chatWeather]);
    expect(sut.chat.tool_choice).toBe('required');
    expect(sut.chat.parallel_tool_calls).toBe(false);
    expect(sut.droppedTools).toEqual(['web_search', 'file_search', 'apply_patch', 'shell_tools', 'mcp']);
  });

  it('refuses a built-in tool in strict mode, naming it', () => {
    expect(refusalOf({ input: 'Hi', tools: [weather, { type: 'web_search_preview' }] }, true)).toEqual({
      code: 'unsupported_parameter',
      status: 400,
      param: 'tools[1]',
    });
  });

  it('sends no tools, tool_choice or parallel_tool_calls when every tool was dropped', () => {
    const sut = translate({ input: 'Hi', tools: builtIns, tool_choice: 'required', parallel_tool_calls: true });
    expect(sut.chat).not.toHaveProperty('tools');
    expect(sut.chat).not.toHaveProperty('tool_choice');
    expect(sut.chat).not.toHaveProperty('parallel_tool_calls');
  });

  it.each<[string, unknown, unknown]>([
    ['auto', 'auto', 'auto'],
    ['none', 'none', 'none'],
    [
      'a function by name',
      { type: 'function', name: 'get_weather' },
      { type: 'function', function: { name: 'get_weather' } },
    ],
    ['a built-in tool (omitted)', { type: 'web_search_preview' }, undefined],
    ['a dropped custom tool by name (omitted)', { type: 'function', name: 'apply_patch' }, undefined],
    [
      'allowed tools (narrows the list, keeps the mode)',
      { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_weather' }] },
      'required',
    ],
  ])('tool_choice %s', (_name, choice, expected) => {
    const other = { type: 'function', name: 'other' };
    const sut = translate({ input: 'Hi', tools: [weather, other, ...builtIns], tool_choice: choice });
    expect(sut.chat.tool_choice).toEqual(expected);
    if (isAllowedTools(choice)) expect(sut.chat.tools).toEqual([chatWeather]);
  });

  it.each<[string, unknown]>([
    ['a built-in tool', { type: 'file_search' }],
    ['a custom tool', { type: 'custom', name: 'apply_patch' }],
    ['an MCP server', { type: 'mcp', server_label: 'deepwiki' }],
  ])('refuses a tool_choice naming %s in strict mode', (_name, choice) => {
    expect(refusalOf({ input: 'Hi', tools: [weather], tool_choice: choice }, true)).toMatchObject({
      code: 'unsupported_parameter',
      param: 'tool_choice',
    });
  });

  it('lets the model call none of the tools when allowed_tools names only dropped ones', () => {
    const choice = { type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search' }] };
    const sut = translate({ input: 'Hi', tools: [weather, { type: 'web_search' }], tool_choice: choice });
    expect(sut.chat).toMatchObject({ tools: [chatWeather], tool_choice: 'none' });
    expect(refusalOf({ input: 'Hi', tools: [weather], tool_choice: choice }, true)).toMatchObject({
      code: 'unsupported_parameter',
      param: 'tool_choice',
    });
  });

  it('refuses an unknown tool_choice mode', () => {
    expect(refusalOf({ input: 'Hi', tools: [weather], tool_choice: 'any' })).toMatchObject({
      code: 'invalid_value',
      param: 'tool_choice',
    });
  });
});

function isAllowedTools(choice: unknown): boolean {
  return typeof choice === 'object' && (choice as JsonObject).type === 'allowed_tools';
}

describe('responsesToChat: parameters', () => {
  it('maps text formats, limits, sampling, reasoning and streaming', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const sut = translate({
      input: 'Hi',
      text: { format: { type: 'json_schema', name: 'answer', schema, strict: true, description: 'd' } },
      max_output_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      service_tier: 'flex',
      top_logprobs: 3,
      reasoning: { effort: 'high', summary: 'auto' },
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'k',
      safety_identifier: 's',
      truncation: 'auto',
      metadata: { a: '1' },
      stream_options: { include_obfuscation: false },
      store: false,
    });
    expect(sut.chat).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true, description: 'd' } },
      max_completion_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      service_tier: 'flex',
      logprobs: true,
      top_logprobs: 3,
      reasoning_effort: 'high',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(sut.droppedTools).toEqual([]);
  });

  it.each<[string, JsonObject, JsonObject]>([
    ['json_object', { text: { format: { type: 'json_object' } } }, { response_format: { type: 'json_object' } }],
    ['a text format sends nothing', { text: { format: { type: 'text' }, verbosity: 'low' } }, {}],
    ['reasoning without effort sends nothing', { reasoning: { summary: 'auto' } }, {}],
    ['logprobs asked through include', { include: ['message.output_text.logprobs'] }, { logprobs: true }],
    ['stream: false', { stream: false }, {}],
  ])('%s', (_name, extra, expected) => {
    expect(translate({ input: 'Hi', ...extra }).chat).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      ...expected,
    });
  });

  it.each<[string, JsonObject, string, string]>([
    ['previous_response_id', { previous_response_id: 'resp_1' }, 'unsupported_parameter', 'previous_response_id'],
    ['store: true', { store: true }, 'unsupported_parameter', 'store'],
    ['background: true', { background: true }, 'unsupported_parameter', 'background'],
    ['a conversation', { conversation: 'conv_1' }, 'unsupported_parameter', 'conversation'],
    ['a stored prompt', { prompt: { id: 'pmpt_1' } }, 'unsupported_parameter', 'prompt'],
    ['a missing model', { model: undefined }, 'missing_required_parameter', 'model'],
    ['a zero max_output_tokens', { max_output_tokens: 0 }, 'invalid_value', 'max_output_tokens'],
    ['a string stream', { stream: 'yes' }, 'invalid_type', 'stream'],
    [
      'a json_schema without schema',
      { text: { format: { type: 'json_schema', name: 'x' } } },
      'invalid_value',
      'text.format.schema',
    ],
    ['an unknown text format', { text: { format: { type: 'yaml' } } }, 'invalid_value', 'text.format.type'],
  ])('refuses %s', (_name, extra, code, param) => {
    expect(refusalOf({ input: 'Hi', ...extra })).toEqual({ code, status: 400, param });
  });
});
