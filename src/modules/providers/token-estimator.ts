import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { LRUCache } from 'lru-cache';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

/** Tokens OpenAI charges around each message (role, separators) and to prime the reply. */
const PER_MESSAGE_TOKENS = 4;
const PRIMING_TOKENS = 3;

export interface PromptEstimate {
  /** o200k_base tokens of all text the prompt carries (messages, names, tool calls, tool definitions, schema). */
  textTokens: number;
  messages: number;
  images: number;
}

/** Tokens of a text under o200k_base (the GPT-4o / o-series / GPT-5 tokenizer), by the gpt-tokenizer library. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

function textOfContent(content: unknown, acc: { text: string[]; images: number }): void {
  if (typeof content === 'string') {
    acc.text.push(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content as JsonObject[]) {
    if (!part || typeof part !== 'object') continue;
    if (typeof part.text === 'string') acc.text.push(part.text);
    else if (part.type === 'image_url' || part.type === 'image' || part.type === 'input_image') acc.images++;
    else if (part.type === 'input_audio' || part.type === 'file') acc.text.push(JSON.stringify(part));
  }
}

/** The text pieces of a chat request's prompt (joined by newlines when counted), its message and image counts. */
function promptPieces(body: JsonObject): { text: string[]; messages: number; images: number } {
  const acc = { text: [] as string[], images: 0 };
  const messages = Array.isArray(body.messages) ? (body.messages as JsonObject[]) : [];
  for (const m of messages) {
    if (!m || typeof m !== 'object') continue;
    if (typeof m.role === 'string') acc.text.push(m.role);
    if (typeof m.name === 'string') acc.text.push(m.name);
    textOfContent(m.content, acc);
    if (m.tool_calls !== undefined) acc.text.push(JSON.stringify(m.tool_calls));
    if (m.function_call !== undefined) acc.text.push(JSON.stringify(m.function_call));
  }
  for (const key of ['tools', 'functions', 'response_format', 'tool_choice'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') acc.text.push(JSON.stringify(body[key]));
  }
  return { text: acc.text, messages: messages.length, images: acc.images };
}

/** Measures what a chat request sends as prompt, provider-neutrally (exact o200k count of its text). */
export function measureChatPrompt(body: JsonObject): PromptEstimate {
  const p = promptPieces(body);
  return { textTokens: countTextTokens(p.text.join('\n')), messages: p.messages, images: p.images };
}

/**
 * Pieces at least this long (a system prompt, earlier turns of a conversation: they come back on every call)
 * are tokenized once and remembered, up to MEMO_MAX_CHARS characters in all.
 */
const MEMO_MIN_CHARS = 256;
const MEMO_MAX_CHARS = 8 * 1024 * 1024;
const memo = new LRUCache<string, number>({ maxSize: MEMO_MAX_CHARS, sizeCalculation: (_n, text) => text.length });

function rememberedCount(text: string): number {
  let n = memo.get(text);
  if (n === undefined) {
    n = countTextTokens(text);
    memo.set(text, n);
  }
  return n;
}

/**
 * An upper bound of the o200k tokens of the pieces joined by newlines, for the budget reservation: long
 * pieces counted on their own (remembered), the short ones joined and counted together, plus one token for
 * each newline next to a long piece. Counting a piece apart can only stop merges across its edges, so this
 * is never below the joined count; it equals it when no piece is long.
 */
function boundTextTokens(pieces: string[]): number {
  let total = 0;
  let long = 0;
  const short: string[] = [];
  for (const piece of pieces) {
    if (piece.length >= MEMO_MIN_CHARS) {
      total += rememberedCount(piece);
      long++;
    } else short.push(piece);
  }
  if (long === 0) return countTextTokens(short.join('\n'));
  return total + countTextTokens(short.join('\n')) + long;
}

/** Tokens of an embeddings `input` (a string, strings, or token arrays). */
export function measureEmbeddingsInput(input: unknown): number {
  if (typeof input === 'string') return countTextTokens(input);
  if (!Array.isArray(input)) return 0;
  let total = 0;
  for (const item of input) {
    if (typeof item === 'string') total += countTextTokens(item);
    else if (typeof item === 'number') total += 1;
    else if (Array.isArray(item)) total += item.length;
  }
  return total;
}

export interface UpperBoundFactors {
  /** Multiplier on o200k text tokens covering this provider's tokenizer. */
  textFactor: number;
  /** Tokens charged per image, at most. */
  perImage: number;
}

/**
 * A request body's measured prompt, kept while the body lives: a routed call bounds one body for each of its
 * targets (the factors differ, the o200k count does not), and tokenizing it once is most of the cost.
 */
const measured = new WeakMap<JsonObject, { textTokens: number; messages: number; images: number }>();

/** `factor × text + per-message overhead + images + priming`, rounded up. */
export function chatPromptUpperBound(body: JsonObject, f: UpperBoundFactors): number {
  let m = measured.get(body);
  if (!m) {
    const p = promptPieces(body);
    m = { textTokens: boundTextTokens(p.text), messages: p.messages, images: p.images };
    measured.set(body, m);
  }
  return (
    Math.ceil(m.textTokens * f.textFactor) + m.messages * PER_MESSAGE_TOKENS + m.images * f.perImage + PRIMING_TOKENS
  );
}

/** Estimated completion tokens of text the gateway saw streamed (when a provider reports no usage). */
export function estimateCompletionTokens(text: string): number {
  return countTextTokens(text);
}
