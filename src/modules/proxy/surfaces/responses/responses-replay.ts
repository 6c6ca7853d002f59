import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * A cached Responses `response` replayed as the typed events OpenAI streams for it (SPEC §14):
 * `response.created`, `response.in_progress`, then per output item its `output_item.added`, the deltas and
 * `.done` events of its text, refusal, function-call arguments or reasoning summary, `output_item.done`, and
 * `response.completed` with the whole response; numbered by `sequence_number`.
 */
export function responsesReplay(cached: unknown): string[] {
  const response = isObject(cached) ? cached : {};
  const events: string[] = [];
  let sequence = 0;
  const send = (type: string, fields: JsonObject): void => {
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`);
  };
  const pending = { ...response, status: 'in_progress', output: [], usage: null };
  send('response.created', { response: pending });
  send('response.in_progress', { response: pending });
  const output = Array.isArray(response.output) ? response.output.filter(isObject) : [];
  output.forEach((item, outputIndex) => {
    const at = { item_id: item.id, output_index: outputIndex };
    if (item.type === 'message') {
      const parts = Array.isArray(item.content) ? item.content.filter(isObject) : [];
      send('response.output_item.added', {
        output_index: outputIndex,
        item: { ...item, status: 'in_progress', content: [] },
      });
      parts.forEach((part, contentIndex) => {
        const refusal = part.type === 'refusal';
        const text = str(refusal ? part.refusal : part.text);
        const empty = refusal ? { ...part, refusal: '' } : { ...part, text: '', annotations: [] };
        send('response.content_part.added', { ...at, content_index: contentIndex, part: empty });
        const kind = refusal ? 'response.refusal' : 'response.output_text';
        send(`${kind}.delta`, {
          ...at,
          content_index: contentIndex,
          delta: text,
          ...(refusal ? {} : { logprobs: [] }),
        });
        send(`${kind}.done`, {
          ...at,
          content_index: contentIndex,
          ...(refusal ? { refusal: text } : { text, logprobs: [] }),
        });
        send('response.content_part.done', { ...at, content_index: contentIndex, part });
      });
    } else if (item.type === 'function_call') {
      const args = typeof item.arguments === 'string' ? item.arguments : '';
      send('response.output_item.added', {
        output_index: outputIndex,
        item: { ...item, arguments: '', status: 'in_progress' },
      });
      send('response.function_call_arguments.delta', { ...at, delta: args });
      send('response.function_call_arguments.done', { ...at, arguments: args });
    } else if (item.type === 'reasoning') {
      const summary = Array.isArray(item.summary) ? item.summary.filter(isObject) : [];
      send('response.output_item.added', { output_index: outputIndex, item: { ...item, summary: [] } });
      summary.forEach((part, summaryIndex) => {
        const text = str(part.text);
        const on = { ...at, summary_index: summaryIndex };
        send('response.reasoning_summary_part.added', { ...on, part: { ...part, text: '' } });
        send('response.reasoning_summary_text.delta', { ...on, delta: text });
        send('response.reasoning_summary_text.done', { ...on, text });
        send('response.reasoning_summary_part.done', { ...on, part });
      });
    } else {
      send('response.output_item.added', { output_index: outputIndex, item });
    }
    send('response.output_item.done', { output_index: outputIndex, item });
  });
  send('response.completed', { response });
  return events;
}
