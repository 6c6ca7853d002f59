import type { FakeAnthropicOptions } from '#test/utils/fake-anthropic';
import { anthropicRequestProblem } from '#test/utils/fake-anthropic-validation';

type Json = Record<string, unknown>;

export interface AnthropicUsageFixture {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/**
 * Default usage, from the example response of https://docs.anthropic.com/en/api/messages (2095 in, 503 out)
 * with the cache fields every current response carries.
 */
export const DOC_USAGE: AnthropicUsageFixture = {
  input_tokens: 2095,
  output_tokens: 503,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

/**
 * The answers of a Claude model as Anthropic's Messages API sends them, scripted by FakeAnthropicOptions: the
 * JSON message of https://docs.anthropic.com/en/api/messages and the stream events of
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming. The Anthropic, Bedrock and Vertex fakes all
 * answer Claude requests with these (each in its own envelope).
 */
export class ClaudeScript {
  constructor(readonly options: FakeAnthropicOptions) {}

  usage(): AnthropicUsageFixture {
    return { ...DOC_USAGE, ...this.options.usage };
  }

  private toolUse(body: Json): { id: string; name: string; input: Json } | null {
    const t = this.options.toolUse;
    if (!t) return null;
    if (this.options.toolCallWhenOffered) {
      const offered = Array.isArray(body.tools) && body.tools.length > 0;
      const answered = ((body.messages ?? []) as Json[]).some(
        (m) => Array.isArray(m.content) && (m.content as Json[]).some((b) => b.type === 'tool_result'),
      );
      if (!offered || answered) return null;
    }
    const choice = body.tool_choice as Json | undefined;
    const first = (body.tools as Json[] | undefined)?.[0]?.name;
    const name = t.name ?? (choice?.type === 'tool' ? String(choice.name) : String(first));
    return { id: t.id ?? 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name, input: t.input };
  }

  /** Whether the answer has a text block: always without a tool call, before it when `reply` is scripted too. */
  private withText(tool: Json | null): boolean {
    return !tool || (this.options.reply !== undefined && !this.options.toolCallWhenOffered);
  }

  private stopReason(body: Json): string {
    return this.options.stopReason ?? (this.toolUse(body) ? 'tool_use' : 'end_turn');
  }

  message(body: Json): Json {
    const o = this.options;
    const tool = this.toolUse(body);
    const content: Json[] = [];
    if (this.withText(tool)) content.push({ type: 'text', text: o.reply ?? 'Hello!' });
    if (tool) content.push({ type: 'tool_use', ...tool });
    return {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      content,
      model: body.model,
      stop_reason: this.stopReason(body),
      stop_sequence: o.stopSequence ?? null,
      usage: this.usage(),
    };
  }

  /** The event sequence of the streaming docs' examples (text, then a tool_use block with partial JSON). */
  events(body: Json): [string, Json][] {
    const o = this.options;
    const u = this.usage();
    const tool = this.toolUse(body);
    const start = { ...this.message(body), content: [], stop_reason: null, stop_sequence: null };
    const events: [string, Json][] = [
      ['message_start', { type: 'message_start', message: { ...start, usage: { ...u, output_tokens: 1 } } }],
    ];
    let index = 0;
    if (this.withText(tool)) {
      events.push([
        'content_block_start',
        { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      ]);
      events.push(['ping', { type: 'ping' }]);
      for (const text of (o.reply ?? 'Hello!').split(/(?<= )|(?=!)/))
        events.push([
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
        ]);
      events.push(['content_block_stop', { type: 'content_block_stop', index: index++ }]);
    }
    if (tool) {
      const block = { type: 'tool_use', id: tool.id, name: tool.name, input: {} };
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: block }]);
      for (const partial_json of ['', ...(JSON.stringify(tool.input).match(/.{1,8}/gs) ?? [])]) {
        const delta = { type: 'input_json_delta', partial_json };
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta }]);
      }
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    }
    const delta = { stop_reason: this.stopReason(body), stop_sequence: o.stopSequence ?? null };
    events.push(['message_delta', { type: 'message_delta', delta, usage: { output_tokens: u.output_tokens } }]);
    events.push(['message_stop', { type: 'message_stop' }]);
    return events;
  }
}

/**
 * The checks Bedrock and Vertex AI apply to a Claude request's envelope (their Claude pages): the host's
 * `anthropic_version` in the body, no `model` (it is in the path), beta flags only from the host's list; then
 * Anthropic's own checks of the body. Returns null for a valid request.
 */
export function claudeEnvelopeProblem(
  body: Json,
  host: { version: string; betas: string[]; accepted: readonly string[]; streamInBody: boolean },
): string | null {
  const { anthropic_version: version, anthropic_beta: _betas, stream, ...rest } = body;
  if (version !== host.version) return `anthropic_version: must be ${host.version}`;
  if ('model' in body) return 'extraneous key [model] is not permitted';
  if (stream !== undefined && !host.streamInBody) return 'extraneous key [stream] is not permitted';
  const refused = host.betas.find((b) => !host.accepted.includes(b));
  if (refused) return `invalid beta flag: ${refused}`;
  return anthropicRequestProblem({ ...rest, model: 'in-the-path' });
}

/** Anthropic's error body (https://docs.anthropic.com/en/api/errors). */
export function errorBodyOf(type: string, message: string): Json {
  return { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
}
