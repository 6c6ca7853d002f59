// Prompt-estimate benchmark, run by hand (never in CI): `node bench/prompt-estimate.mjs`.
//
// Budgets reserve the worst case of a call before it goes upstream (SPEC §7), and the prompt part of it is
// each adapter's `promptTokenUpperBound(body)`. This script runs the real adapters (from dist/, so build
// first: `npx tsc -p tsconfig.build.json`) over realistic prompts and compares the bound with the count the
// provider would bill:
//   - OpenAI: exact, from OpenAI's o200k_base tokenizer (the gpt-tokenizer library the gateway already uses)
//     with OpenAI's documented chat framing (OpenAI cookbook "How to count tokens with tiktoken": 3 tokens
//     per message, 1 per name, 3 to prime the reply; tool definitions by the cookbook's
//     num_tokens_for_tools constants for gpt-4o: 7 per function, 3 per property set, 3 per property,
//     -3/+3 per enum, 12 at the end).
//   - Anthropic (also Claude on Bedrock): Claude's tokenizer is not public. Documented ratio: "a token
//     approximately represents 3.5 English characters" (Anthropic glossary), plus 3 tokens per message, and
//     the documented tool-use system prompt (346 tokens for auto/none tool choice on Claude 3.5+/4, Anthropic
//     "Tool use" pricing table) when tools are sent.
//   - Gemini (Vertex AI): Gemini's tokenizer is not local. Documented ratio: "a token is equivalent to about
//     4 characters" (Google AI "Understand and count tokens").
// The documented ratios are for English: CJK characters count one token each instead (an assumption, close
// to what both tokenizers do with Han and kana), and the code and JSON rows are only as good as the ratio. No network access; the output is a table on stdout:
//   node bench/prompt-estimate.mjs > bench/results/prompt-estimate.txt
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const load = (path) => require(join(ROOT, 'dist/src/modules/providers', path));

const { OpenAiAdapter } = load('adapters/openai.adapter.js');
const { AnthropicAdapter } = load('adapters/anthropic.adapter.js');
const { VertexAiAdapter } = load('adapters/vertex-ai.adapter.js');
const { BedrockAdapter } = load('adapters/bedrock.adapter.js');

const timeouts = { connectMs: 1000, idleMs: 1000 };
const settings = (type, extra = {}) => ({
  id: type,
  name: type,
  type,
  baseUrl: 'http://127.0.0.1:9',
  credentials: {},
  config: {},
  ...extra,
});
const adapters = {
  openai: new OpenAiAdapter(settings('openai', { credentials: { api_key: 'unused' } }), timeouts),
  anthropic: new AnthropicAdapter(settings('anthropic', { credentials: { api_key: 'unused' } }), timeouts),
  vertex: new VertexAiAdapter(
    settings('vertex-ai', { config: { project_id: 'bench', location: 'us-central1' } }),
    timeouts,
  ),
  bedrock: new BedrockAdapter(
    settings('bedrock', {
      credentials: { access_key_id: 'unused', secret_access_key: 'unused' },
      config: { region: 'us-east-1' },
    }),
    timeouts,
  ),
};

// ---- prompts -------------------------------------------------------------------------------------------

const english = [
  'The committee met on Tuesday to review the quarterly results, and the discussion quickly turned to the',
  'question of whether the new warehouse in Rotterdam had been worth its cost. Revenue from the region rose',
  'eleven percent, but margins narrowed because freight rates doubled during the spring and the company had',
  'locked in long contracts before the increase. Several members argued that the contracts should have been',
  'renegotiated in March, when the first signs of congestion appeared at the port; others pointed out that',
  'the penalties for early termination would have wiped out most of the savings. The chair asked finance to',
  'prepare three scenarios for the next meeting: keep the contracts, buy out half of them, or move part of',
  'the volume to rail through Duisburg. She also asked for a short note on currency exposure, since nearly a',
  "third of the region's costs are now billed in dollars while almost all of its revenue is in euros.",
].join(' ');
const longEnglish = Array.from({ length: 8 }, (_, i) => `Section ${i + 1}. ${english}`).join('\n\n');

const code = `import { createHash } from 'node:crypto';

export interface CacheEntry<T> { value: T; expiresAt: number; }

/** A small LRU cache with per-entry expiry; O(1) get and set through Map insertion order. */
export class LruCache<T> {
  private readonly entries = new Map<string, CacheEntry<T>>();
  constructor(private readonly max: number, private readonly ttlMs: number) {}

  get(key: string, now = Date.now()): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) { this.entries.delete(key); return undefined; }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: T, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

export function digest(input: string): string {
  return createHash('sha256').update(input, 'utf8').digest('hex');
}

for (let i = 0; i < 3; i++) {
  const cache = new LruCache<number>(2, 1000);
  cache.set('a', i); cache.set('b', i * 2); cache.set('c', i * 3);
  console.log(i, cache.get('a'), cache.get('b'), cache.get('c'), digest(String(i)).slice(0, 8));
}`;

const chinese =
  '请帮我总结一下这份报告的主要内容。报告指出，今年第一季度公司在华东地区的销售额同比增长了百分之十二，' +
  '但由于原材料价格上涨和物流成本增加，利润率下降了两个百分点。管理层计划在下半年优化供应链，' +
  '与更多本地供应商签订长期合同，并在苏州新建一个区域配送中心，以缩短交货时间并降低运输费用。';
const japanese =
  '来週の会議では、新しい顧客管理システムの導入スケジュールについて話し合います。' +
  '現在のシステムは十年以上前に構築されたもので、データの移行には少なくとも三か月かかる見込みです。' +
  '各部署の担当者は、必要な機能の一覧を金曜日までに提出してください。';

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the current weather and a 3-day forecast for a city.',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', description: 'City name, e.g. "Lisbon"' },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'], description: 'Temperature unit' },
          days: { type: 'integer', description: 'Forecast days, 1 to 3' },
        },
        required: ['city'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search_orders',
      description: 'Search the order database by customer, status and date range.',
      parameters: {
        type: 'object',
        properties: {
          customer_id: { type: 'string', description: 'The customer id (cus_...)' },
          status: { type: 'string', enum: ['pending', 'paid', 'shipped', 'delivered', 'refunded'] },
          from: { type: 'string', description: 'ISO date, inclusive' },
          to: { type: 'string', description: 'ISO date, exclusive' },
          limit: { type: 'integer', description: 'At most this many orders (default 20)' },
        },
        required: ['customer_id'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'create_ticket',
      description: 'Open a support ticket for a customer and assign it to a queue.',
      parameters: {
        type: 'object',
        properties: {
          customer_id: { type: 'string' },
          subject: { type: 'string', description: 'One-line summary' },
          body: { type: 'string', description: 'Full description of the problem' },
          priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
          queue: { type: 'string', enum: ['billing', 'shipping', 'technical', 'other'] },
        },
        required: ['customer_id', 'subject', 'body'],
      },
    },
  },
];

const prompts = {
  'short chat': { messages: [{ role: 'user', content: 'What is the capital of Australia?' }] },
  'long English': {
    messages: [{ role: 'user', content: `Summarise the following minutes in five bullet points.\n\n${longEnglish}` }],
  },
  code: { messages: [{ role: 'user', content: `Review this TypeScript and point out any bugs:\n\n${code}` }] },
  'CJK (zh + ja)': { messages: [{ role: 'user', content: `${chinese}\n\n${japanese}` }] },
  'JSON tools': {
    messages: [{ role: 'user', content: 'Where is my last order, and will it rain in Porto when it arrives?' }],
    tools,
    tool_choice: 'auto',
  },
  'multi-turn + system': {
    messages: [
      { role: 'system', content: 'You are a concise assistant for a logistics company. Answer in plain English.' },
      { role: 'user', content: 'Our shipment from Shenzhen is late. What are the usual causes?' },
      {
        role: 'assistant',
        content:
          'The most common causes are port congestion, customs holds for missing documents, and vessels skipping a port call to recover their schedule.',
      },
      { role: 'user', content: 'How do I find out which one applies to us?' },
      {
        role: 'assistant',
        content:
          'Ask the forwarder for the container status: "discharged" with no release means customs; no discharge date means the vessel or the port.',
      },
      { role: 'user', content: 'It says discharged two days ago. What documents do customs usually want?' },
    ],
  },
};

// ---- what each provider bills ----------------------------------------------------------------------------

const tok = (s) => (s ? countTokens(s) : 0);

/** OpenAI cookbook's num_tokens_for_tools (gpt-4o / gpt-4o-mini constants). */
function openAiToolTokens(list) {
  const FUNC_INIT = 7,
    PROP_INIT = 3,
    PROP_KEY = 3,
    ENUM_INIT = -3,
    ENUM_ITEM = 3,
    FUNC_END = 12;
  let n = 0;
  for (const t of list) {
    const f = t.function;
    n += FUNC_INIT + tok(`${f.name}:${(f.description ?? '').replace(/\.$/, '')}`);
    const props = f.parameters?.properties ?? {};
    if (Object.keys(props).length > 0) {
      n += PROP_INIT;
      for (const [key, p] of Object.entries(props)) {
        n += PROP_KEY;
        if (p.enum) {
          n += ENUM_INIT;
          for (const item of p.enum) n += ENUM_ITEM + tok(item);
        }
        n += tok(`${key}:${p.type}:${(p.description ?? '').replace(/\.$/, '')}`);
      }
    }
  }
  return list.length > 0 ? n + FUNC_END : 0;
}

function openAiActual(body) {
  let n = 3; // priming
  for (const m of body.messages) n += 3 + tok(m.role) + tok(m.content) + (m.name ? 1 + tok(m.name) : 0);
  return n + openAiToolTokens(body.tools ?? []);
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/gu;

/**
 * Tokens of the prompt text (messages and tool definitions as JSON) at `charsPerToken` for everything but
 * CJK characters, which the documented English ratios do not cover: those count one token each (assumed;
 * Claude and Gemini both need about one token per Han/kana character).
 */
function charTokens(body, charsPerToken) {
  let s = body.messages.map((m) => `${m.role}\n${m.content}`).join('\n');
  if (body.tools) s += JSON.stringify(body.tools);
  const cjk = (s.match(CJK) ?? []).length;
  return Math.ceil((s.length - cjk) / charsPerToken) + cjk;
}

const CLAUDE_TOOL_SYSTEM_PROMPT = 346;
const claudeActual = (body) =>
  charTokens(body, 3.5) + 3 * body.messages.length + (body.tools ? CLAUDE_TOOL_SYSTEM_PROMPT : 0);
const geminiActual = (body) => charTokens(body, 4);

const providers = [
  ['openai', adapters.openai, openAiActual, 'o200k_base (exact)'],
  ['anthropic', adapters.anthropic, claudeActual, '3.5 chars/token (doc.), CJK 1/char'],
  ['bedrock (Claude)', adapters.bedrock, claudeActual, '3.5 chars/token (doc.), CJK 1/char'],
  ['vertex (Gemini)', adapters.vertex, geminiActual, '4 chars/token (doc.), CJK 1/char'],
];

// ---- report ---------------------------------------------------------------------------------------------

const pad = (s, n) => String(s).padEnd(n);
const padL = (s, n) => String(s).padStart(n);
const lines = [];
lines.push(`Prompt upper bound vs billed prompt tokens — ${new Date().toISOString()}, node ${process.version}`);
lines.push('ratio = bound / billed; ≥ 1.00 means the reservation covers the prompt, the excess is over-reservation.');
lines.push('');
lines.push(
  `${pad('provider', 18)}${pad('prompt', 22)}${padL('o200k', 7)}${padL('bound', 8)}${padL('billed', 8)}${padL('ratio', 8)}  billed by`,
);
const summary = [];
for (const [name, adapter, actual, how] of providers) {
  const ratios = [];
  for (const [category, body] of Object.entries(prompts)) {
    const full = { model: 'bench', ...body };
    const bound = adapter.promptTokenUpperBound(full);
    const billed = actual(body);
    const ratio = bound / billed;
    ratios.push(ratio);
    const o200k = tok(body.messages.map((m) => m.content).join('\n'));
    lines.push(
      `${pad(name, 18)}${pad(category, 22)}${padL(o200k, 7)}${padL(bound, 8)}${padL(billed, 8)}${padL(ratio.toFixed(2), 8)}  ${how}`,
    );
  }
  summary.push([name, Math.min(...ratios), Math.max(...ratios)]);
}
lines.push('');
lines.push('per provider: smallest and largest ratio (an under-estimate would be < 1.00)');
for (const [name, min, max] of summary) lines.push(`  ${pad(name, 18)} min ${min.toFixed(2)}  max ${max.toFixed(2)}`);
process.stdout.write(`${lines.join('\n')}\n`);

await Promise.all(Object.values(adapters).map((a) => a.close()));
