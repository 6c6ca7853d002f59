import type { RawJsonObject } from '#src/modules/calls/raw-json-object';
import type { Usage } from '#src/modules/calls/usage';
import type { AddressPolicy } from '#src/core/net/address-guard';
import type { ProviderType } from '#src/modules/providers/provider.entity';

export type JsonObject = Record<string, unknown>;

/** What every adapter call gets. */
export interface UpstreamCall {
  /** The id the provider knows the model by. */
  upstreamModel: string;
  /**
   * The client's OpenAI request (alias defaults merged in, output limit possibly lowered by the budget),
   * `model` still as the client sent it: adapters replace it with `upstreamModel`.
   */
  body: JsonObject;
  /** Aborts the upstream request: client disconnect, total timeout, shutdown. */
  signal: AbortSignal;
  /** The client's body with its bytes, to splice unchanged members from (encodeBody); absent for small bodies. */
  source?: RawJsonObject | null;
}

/** A non-streamed answer. `raw` is the upstream bytes when they are already the OpenAI response, unchanged. */
export interface ChatResult {
  body: JsonObject;
  raw?: Buffer;
  usage: Usage | null;
}

/** Receives a streamed answer, one OpenAI `chat.completion.chunk` at a time. */
export interface ChunkSink {
  /** `raw` is the chunk's JSON text when the adapter passes the provider's bytes through unchanged. */
  chunk(chunk: JsonObject, raw?: string): void;
  /**
   * A promise while the client reads slower than the provider sends (its socket buffer is full), settled
   * when it has drained: adapters stop reading the provider's stream until then.
   */
  backpressure?(): Promise<void> | undefined;
}

export interface StreamResult {
  /** Usage the provider reported for the stream; null when it reported none (the gateway then estimates). */
  usage: Usage | null;
}

export interface EmbeddingsResult {
  /** OpenAI `list` of `embedding` objects; embeddings may be float arrays or base64 strings. */
  body: JsonObject;
  usage: Usage | null;
}

/** A request in Anthropic's Messages format, sent to a provider that speaks it natively (SPEC §12). */
export interface NativeMessagesCall {
  /** The client's body, `model` already the provider's id and `max_tokens` as admitted. */
  body: JsonObject;
  /** `anthropic-version` to send (the client's, else the adapter's default). */
  version: string | null;
  /** `anthropic-beta` flags the client sent. */
  betas: string[];
  signal: AbortSignal;
  /** The client's body with its bytes (see UpstreamCall.source). */
  source?: RawJsonObject | null;
}

/** The provider's answer as it sent it: errors too, so they reach the client unmodified. */
export interface NativeAnswer {
  status: number;
  /** The provider's bytes, unchanged (for a stream that answered 2xx: empty, the events went to the sink). */
  body: Buffer;
  contentType: string;
  /** What a 2xx answer reported (a stream's final counts); null otherwise. */
  usage: Usage | null;
  /** A stream that answered 2xx and then sent an `error` event: its Anthropic error type. */
  streamError?: string;
}

/** Receives a native stream event by event, as the provider sent them. */
export interface RawEventSink {
  event(type: string, data: string): void;
  backpressure?(): Promise<void> | undefined;
}

/** Anthropic's Messages API spoken natively: Anthropic itself, Claude on Bedrock and on Vertex AI. */
export interface NativeMessages {
  messages(call: NativeMessagesCall): Promise<NativeAnswer>;
  messagesStream(call: NativeMessagesCall, sink: RawEventSink): Promise<NativeAnswer>;
  countTokens(call: NativeMessagesCall): Promise<NativeAnswer>;
}

/** A stored response's answer, as the provider sent it (`GET`/`DELETE /v1/responses/{id}`). */
export interface StoredResponseAnswer {
  status: number;
  body: Buffer;
}

/**
 * OpenAI's Responses API spoken natively (OpenAI and Azure OpenAI models with the `responses` capability): the
 * client's request passes through; failures throw UpstreamException like chat's.
 */
export interface NativeResponses {
  create(
    body: JsonObject,
    signal: AbortSignal,
    source?: RawJsonObject | null,
  ): Promise<{ body: JsonObject; raw: Buffer; usage: Usage | null }>;
  /** Relays the typed events as they arrive; resolves with the usage of `response.completed` (or incomplete/failed). */
  stream(
    body: JsonObject,
    signal: AbortSignal,
    sink: RawEventSink,
    source?: RawJsonObject | null,
  ): Promise<{ usage: Usage | null; failed: boolean }>;
  retrieve(id: string, signal: AbortSignal): Promise<StoredResponseAnswer>;
  remove(id: string, signal: AbortSignal): Promise<StoredResponseAnswer>;
}

/**
 * One class per provider type implements this (adapters/), translating OpenAI's API both ways. Adapters
 * throw UpstreamException for every failure, before or during a stream.
 */
export interface ProviderAdapter {
  readonly type: ProviderType;
  readonly name: string;
  chat(call: UpstreamCall): Promise<ChatResult>;
  /** Resolves when the stream ends; chunks go to `sink` as they arrive, never buffered whole. */
  chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult>;
  /** Rejects with an UpstreamException (400) when the provider has no embeddings API. */
  embeddings(call: UpstreamCall): Promise<EmbeddingsResult>;
  /**
   * An upper bound of the prompt tokens this provider will count for `body` (the budget reserves against it).
   * Each adapter documents how it bounds its tokenizer.
   */
  promptTokenUpperBound(body: JsonObject, upstreamModel?: string): number;
  /** Present when the provider speaks OpenAI's Responses API (used for models with the `responses` capability). */
  readonly nativeResponses?: NativeResponses;
  /**
   * Anthropic's Messages API where the provider speaks it natively for this model (Anthropic; Claude on Bedrock
   * and Vertex AI); null or absent: the gateway translates to chat.
   */
  messagesFor?(upstreamModel: string): NativeMessages | null;
  /** Releases connection pools; in-flight calls may finish first. */
  close(): Promise<void>;
}

/** What an adapter is built from: the provider row with its decrypted credentials. */
export interface ProviderSettings {
  id: string;
  name: string;
  type: ProviderType;
  baseUrl: string | null;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
}

/** Timeouts from SPEC §2, in milliseconds, the cap on what a provider may send back, and where it may be. */
export interface UpstreamTimeouts {
  connectMs: number;
  /** Until response headers, and the longest silence between two stream chunks. */
  idleMs: number;
  /** UPSTREAM_MAX_RESPONSE_BYTES: the most one answer (a whole stream included) may carry. */
  maxResponseBytes: number;
  /** Which addresses provider connections may reach (PROVIDER_ALLOW_PRIVATE_URLS), checked at connect time. */
  addressPolicy: AddressPolicy;
}
