import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { messagesToChat } from '#src/modules/proxy/surfaces/messages/messages-request.translator';

const hi = [{ role: 'user', content: 'Hi' }];
const translate = (body: JsonObject) => messagesToChat({ model: 'm', max_tokens: 1024, messages: hi, ...body });
const messagesOf = (body: JsonObject) => translate(body).chat.messages as JsonObject[];

function refusalOf(body: JsonObject): { code: string; status: number; param: string | null } {
  try {
    messagesToChat(body);
  } catch (err) {
    if (!(err instanceof ProxyException)) throw err;
    return { code: err.code, status: err.status, param: err.param };
  }
  throw new Error('expected a refusal');
}

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  cache_control: { type: 'ephemeral' },
};
const chatWeather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('messagesToChat: system and messages', () => {
  it.each<[string, JsonObject, JsonObject[]]>([
    ['a string message', {}, [{ role: 'user', content: 'Hi' }]],
    [
      'a string system becomes the leading system message',
      { system: 'Be brief.' },
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    ],
    [
      'system text blocks become one system message, cache_control left out',
      {
        system: [
          { type: 'text', text: 'You are Claude Code.' },
          { type: 'text', text: 'Follow the rules.', cache_control: { type: 'ephemeral' } },
        ],
      },
      [
        { role: 'system', content: 'You are Claude Code.\n\nFollow the rules.' },
        { role: 'user', content: 'Hi' },
      ],
    ],
    ['an empty system sends none', { system: [] }, [{ role: 'user', content: 'Hi' }]],
    [
      'user text blocks and images (base64 and url)',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What are these?', cache_control: { type: 'ephemeral' } },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      },
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What are these?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    ],
    [
      'thinking and redacted_thinking blocks are dropped',
      {
        messages: [
          { role: 'user', content: 'Think first.' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
              { type: 'redacted_thinking', data: 'opaque' },
              { type: 'text', text: 'Done ' },
              { type: 'text', text: 'thinking.' },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'thinking', thinking: 'x', signature: 's' },
              { type: 'text', text: 'Ok' },
            ],
          },
        ],
      },
      [
        { role: 'user', content: 'Think first.' },
        { role: 'assistant', content: 'Done thinking.' },
        { role: 'user', content: [{ type: 'text', text: 'Ok' }] },
      ],
    ],
    [
      'an assistant turn left with only thinking is left out',
      {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 's' }] },
          { role: 'user', content: 'b' },
        ],
      },
      [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
    ],
  ])('%s', (_name, body, expected) => {
    expect(messagesOf(body)).toEqual(expected);
  });

  it('turns a tool round trip into tool_calls and tool messages, results before the rest of the turn', () => {
    const messages = messagesOf({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Be quick.' },
            { type: 'tool_result', tool_use_id: 'toolu_a', content: '18°C, sunny' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_b',
              is_error: true,
              content: [
                { type: 'text', text: 'weather service down' },
                { type: 'text', text: 'retry later' },
              ],
            },
          ],
        },
      ],
    });
    expect(messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          { id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_a', content: '18°C, sunny' },
      { role: 'tool', tool_call_id: 'toolu_b', content: 'Error: weather service down\nretry later' },
      { role: 'user', content: [{ type: 'text', text: 'Be quick.' }] },
    ]);
  });

  it('sends null content beside tool calls, and an empty tool result as an empty string', () => {
    const messages = messagesOf({
      messages: [
        { role: 'user', content: 'Go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'ls', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a' }] },
      ],
    });
    expect(messages).toEqual([
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'toolu_a', type: 'function', function: { name: 'ls', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'toolu_a', content: '' },
    ]);
  });

  it('carries images of a tool result in the user message after the tool messages', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } };
    const messages = messagesOf({
      messages: [
        { role: 'user', content: 'Read the screenshot' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_r', name: 'Read', input: { path: 'a.jpg' } }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_r', content: [{ type: 'text', text: 'a.jpg' }, image] }],
        },
      ],
    });
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_r', content: 'a.jpg' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } }] },
    ]);
  });
});

describe('messagesToChat: tools and tool_choice', () => {
  const serverTools = [
    { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
    { type: 'bash_20250124', name: 'bash' },
    { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
    { type: 'code_execution_20250825', name: 'code_execution' },
    { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768 },
  ];

  it('maps custom tools and drops server and built-in tools, naming each', () => {
    const sut = translate({ tools: [weatherTool, { ...weatherTool, type: 'custom', name: 'other' }, ...serverTools] });
    expect(sut.chat.tools).toEqual([
      chatWeather,
      { type: 'function', function: { ...chatWeather.function, name: 'other' } },
    ]);
    expect(sut.droppedTools).toEqual([
      'web_search',
      'bash',
      'str_replace_based_edit_tool',
      'code_execution',
      'computer',
    ]);
  });

  it('sends no tools, tool_choice or parallel_tool_calls when every tool was dropped', () => {
    const sut = translate({ tools: serverTools, tool_choice: { type: 'any', disable_parallel_tool_use: true } });
    expect(sut.chat).not.toHaveProperty('tools');
    expect(sut.chat).not.toHaveProperty('tool_choice');
    expect(sut.chat).not.toHaveProperty('parallel_tool_calls');
    expect(sut.droppedTools).toHaveLength(5);
  });

  it.each<[string, JsonObject, unknown, unknown]>([
    ['auto', { type: 'auto' }, 'auto', undefined],
    ['any → required', { type: 'any' }, 'required', undefined],
    ['none', { type: 'none' }, 'none', undefined],
    [
      'a named tool',
      { type: 'tool', name: 'get_weather' },
      { type: 'function', function: { name: 'get_weather' } },
      undefined,
    ],
    ['disable_parallel_tool_use', { type: 'auto', disable_parallel_tool_use: true }, 'auto', false],
    [
      'a dropped tool named: the choice is left to the model',
      { type: 'tool', name: 'web_search' },
      undefined,
      undefined,
    ],
  ])('tool_choice %s', (_name, choice, expected, parallel) => {
    const { chat } = translate({ tools: [weatherTool, serverTools[0]], tool_choice: choice });
    expect(chat.tool_choice).toEqual(expected);
    expect(chat.parallel_tool_calls).toEqual(parallel);
  });
});

describe('messagesToChat: parameters', () => {
  it('maps limits, sampling, stop sequences, the end user, thinking and streaming', () => {
    const { chat } = messagesToChat({
      model: 'gpt-4.1',
      max_tokens: 2048,
      messages: hi,
      stop_sequences: ['\n\nHuman:', 'END'],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'user-42' },
      thinking: { type: 'enabled', budget_tokens: 8000 },
      stream: true,
      service_tier: 'auto',
      container: 'container_1',
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com', name: 'x' }],
      context_management: { edits: [] },
    });
    expect(chat).toEqual({
      model: 'gpt-4.1',
      max_completion_tokens: 2048,
      messages: [{ role: 'user', content: 'Hi' }],
      stop: ['\n\nHuman:', 'END'],
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-42',
      reasoning_effort: 'medium',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each<[string, JsonObject, string | undefined]>([
    ['a small budget is low', { type: 'enabled', budget_tokens: 1024 }, 'low'],
    ['4095 is low', { type: 'enabled', budget_tokens: 4095 }, 'low'],
    ['4096 is medium', { type: 'enabled', budget_tokens: 4096 }, 'medium'],
    ['16383 is medium', { type: 'enabled', budget_tokens: 16383 }, 'medium'],
    ['16384 is high', { type: 'enabled', budget_tokens: 16384 }, 'high'],
    ['disabled sends nothing', { type: 'disabled' }, undefined],
    ['adaptive leaves the default', { type: 'adaptive' }, undefined],
  ])('thinking: %s', (_name, thinking, effort) => {
    expect(translate({ thinking }).chat.reasoning_effort).toBe(effort);
  });

  it('maps output_config: effort over a thinking budget, and a json_schema format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const { chat } = translate({
      thinking: { type: 'enabled', budget_tokens: 2000 },
      output_config: { effort: 'max', format: { type: 'json_schema', schema } },
    });
    expect(chat.reasoning_effort).toBe('high');
    expect(chat.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema } });
  });

  it('sends no stream fields for a non-streamed request, and no stop for an empty list', () => {
    const { chat } = translate({ stream: false, stop_sequences: [] });
    expect(Object.keys(chat).sort()).toEqual(['max_completion_tokens', 'messages', 'model']);
  });
});

describe('messagesToChat: refusals', () => {
  const body = (extra: JsonObject): JsonObject => ({ model: 'm', max_tokens: 64, messages: hi, ...extra });
  const userBlocks = (...content: JsonObject[]): JsonObject => body({ messages: [{ role: 'user', content }] });

  it.each<[string, JsonObject, string, string]>([
    ['a missing model', { max_tokens: 64, messages: hi }, 'missing_required_parameter', 'model'],
    ['a missing max_tokens', { model: 'm', messages: hi }, 'missing_required_parameter', 'max_tokens'],
    ['a zero max_tokens', body({ max_tokens: 0 }), 'invalid_value', 'max_tokens'],
    ['missing messages', { model: 'm', max_tokens: 64 }, 'missing_required_parameter', 'messages'],
    ['empty messages', body({ messages: [] }), 'invalid_value', 'messages'],
    [
      'a system role in messages',
      body({ messages: [{ role: 'system', content: 'x' }] }),
      'invalid_value',
      'messages[0].role',
    ],
    [
      'a document block',
      userBlocks({ type: 'text', text: 'Read' }, { type: 'document', source: { type: 'text', data: 'x' } }),
      'unsupported_parameter',
      'messages[0].content[1].type',
    ],
    [
      'a search_result block',
      userBlocks({ type: 'search_result', source: 'https://x', title: 't', content: [] }),
      'unsupported_parameter',
      'messages[0].content[0].type',
    ],
    [
      'a container_upload block',
      userBlocks({ type: 'container_upload', file_id: 'file_1' }),
      'unsupported_parameter',
      'messages[0].content[0].type',
    ],
    [
      'a file image source',
      userBlocks({ type: 'image', source: { type: 'file', file_id: 'file_1' } }),
      'unsupported_parameter',
      'messages[0].content[0].source.type',
    ],
    [
      'a document inside a tool result',
      userBlocks({ type: 'tool_result', tool_use_id: 't', content: [{ type: 'document', source: {} }] }),
      'unsupported_parameter',
      'messages[0].content[0].content[0].type',
    ],
    [
      'a server_tool_use block in an assistant turn',
      body({
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] },
        ],
      }),
      'unsupported_parameter',
      'messages[1].content[0].type',
    ],
    [
      'an image in an assistant turn',
      body({
        messages: [{ role: 'assistant', content: [{ type: 'image', source: { type: 'url', url: 'https://x' } }] }],
      }),
      'unsupported_parameter',
      'messages[0].content[0].type',
    ],
    [
      'a tool_result in an assistant turn',
      body({ messages: [{ role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 't' }] }] }),
      'invalid_value',
      'messages[0].content[0].type',
    ],
    [
      'tool_use input that is not an object',
      body({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: [1] }] }] }),
      'invalid_value',
      'messages[0].content[0].input',
    ],
    [
      'a non-text system block',
      body({ system: [{ type: 'image', source: {} }] }),
      'unsupported_parameter',
      'system[0].type',
    ],
    ['a custom tool without input_schema', body({ tools: [{ name: 'x' }] }), 'invalid_value', 'tools[0].input_schema'],
    ['an unknown tool_choice type', body({ tool_choice: { type: 'function' } }), 'invalid_value', 'tool_choice.type'],
    ['thinking without a budget', body({ thinking: { type: 'enabled' } }), 'invalid_value', 'thinking.budget_tokens'],
    ['stop_sequences as a string', body({ stop_sequences: 'END' }), 'invalid_type', 'stop_sequences'],
  ])('refuses %s with a 400 naming the parameter', (_name, request, code, param) => {
    expect(refusalOf(request)).toEqual({ code, status: 400, param });
  });
});
