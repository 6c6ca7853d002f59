import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

const data = (chunk: JsonObject): string => `data: ${JSON.stringify(chunk)}\n\n`;

/**
 * A cached `chat.completion` replayed as the chunks OpenAI streams for it (SPEC §14): per choice the role, the
 * content, the tool calls with their whole arguments, then the finish reason; the usage chunk when the client
 * asked for it (`stream_options.include_usage`); `[DONE]`.
 */
export function chatReplay(completion: unknown, includeUsage: boolean): string[] {
  const body = isObject(completion) ? completion : {};
  const head = {
    id: body.id,
    object: 'chat.completion.chunk',
    created: body.created,
    model: body.model,
    ...(body.system_fingerprint !== undefined ? { system_fingerprint: body.system_fingerprint } : {}),
    ...(body.service_tier !== undefined ? { service_tier: body.service_tier } : {}),
  };
  const chunk = (choices: JsonObject[]): string => data({ ...head, choices });
  const events: string[] = [];
  const choices = Array.isArray(body.choices) ? body.choices.filter(isObject) : [];
  for (const choice of choices) {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    const message = isObject(choice.message) ? choice.message : {};
    const delta = (d: JsonObject): JsonObject => ({ index, delta: d, logprobs: null, finish_reason: null });
    events.push(chunk([delta({ role: 'assistant', content: '' })]));
    if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '')
      events.push(chunk([delta({ reasoning_content: message.reasoning_content })]));
    if (typeof message.content === 'string' && message.content !== '')
      events.push(chunk([{ ...delta({ content: message.content }), logprobs: choice.logprobs ?? null }]));
    if (typeof message.refusal === 'string' && message.refusal !== '')
      events.push(chunk([delta({ refusal: message.refusal })]));
    const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
    calls.forEach((call, i) => events.push(chunk([delta({ tool_calls: [{ index: i, ...call }] })])));
    events.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }]));
  }
  if (includeUsage && isObject(body.usage)) events.push(data({ ...head, choices: [], usage: body.usage }));
  events.push('data: [DONE]\n\n');
  return events;
}
