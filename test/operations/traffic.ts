import { Client } from 'pg';
import { baseTestEnv } from '#test/utils/test-env';

/** What one proxied call looked like from the client's side. */
export interface CallResult {
  kind: 'json' | 'stream';
  status: number;
  callId: string | null;
  /** Streams: the whole SSE text received; JSON: the body. */
  text: string;
  /** Streams: the last event was `data: [DONE]`. */
  done: boolean;
  /** The connection broke before the response was complete. */
  cut: boolean;
  startedAt: number;
  endedAt: number;
}

/** One chat completion through the gateway with plain fetch, streamed or not, never throwing. */
export async function chat(
  baseUrl: string,
  key: string,
  model: string,
  opts: { stream?: boolean; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const kind = opts.stream ? 'stream' : 'json';
  const startedAt = Date.now();
  let status = 0;
  let callId: string | null = null;
  let text = '';
  try {
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], stream: opts.stream === true }),
    });
    status = res.status;
    callId = res.headers.get('x-gateway-call-id');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return {
      kind,
      status,
      callId,
      text,
      done: text.trimEnd().endsWith('data: [DONE]'),
      cut: false,
      startedAt,
      endedAt: Date.now(),
    };
  } catch {
    return { kind, status, callId, text, done: false, cut: true, startedAt, endedAt: Date.now() };
  }
}

/** Rows of `usage_records` for these call ids, straight from PostgreSQL. */
export async function usageRows(
  callIds: string[],
): Promise<{ call_id: string; status: number; stream: boolean; error_code: string | null }[]> {
  const client = new Client({ connectionString: baseTestEnv().DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{
      call_id: string;
      status: number;
      stream: boolean;
      error_code: string | null;
    }>('SELECT call_id, status, stream, error_code FROM usage_records WHERE call_id = ANY($1::uuid[])', [callIds]);
    return rows;
  } finally {
    await client.end();
  }
}

/** How many times each call id appears in `rows` (0 when missing). */
export function occurrences(callIds: string[], rows: { call_id: string }[]): Record<string, number> {
  const counts = Object.fromEntries(callIds.map((id) => [id, 0]));
  for (const r of rows) counts[r.call_id] = (counts[r.call_id] ?? 0) + 1;
  return counts;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
