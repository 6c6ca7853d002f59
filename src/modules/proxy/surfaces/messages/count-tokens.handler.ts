import { Injectable } from '@nestjs/common';
import { RawJsonObject } from '#src/modules/calls/raw-json-object';
import { modelAllowed } from '#src/modules/keys/api-key-auth.service';
import type { FastifyReply } from 'fastify';
import { ModelResolver } from '#src/modules/models/model-resolver.service';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { requireModel, requireObjectBody } from '#src/modules/proxy/request-body';
import { messagesToChat } from '#src/modules/proxy/surfaces/messages/messages-request.translator';
import { estimateChatUsage } from '#src/modules/proxy/usage-estimate';

/** How long a native count may take. */
const COUNT_TIMEOUT_MS = 30_000;

/**
 * `POST /v1/messages/count_tokens` (SPEC §12): the provider's own count where it speaks Messages natively (its
 * answer and errors passed through), else the gateway's o200k count of the prompt translated to chat.
 * Authenticated and allowlisted like a call; not billed, not counted against limits, no audit record.
 */
@Injectable()
export class CountTokensHandler {
  constructor(
    private readonly resolver: ModelResolver,
    private readonly providers: ProviderRegistry,
  ) {}

  async handle(req: ProxyRequest, reply: FastifyReply): Promise<void> {
    const body = requireObjectBody(req.body, req.headers['content-type']);
    const model = requireModel(body);
    const key = req.apiKey!;
    const resolution = await this.resolver.resolve(model);
    if (!resolution) throw ProxyException.modelNotFound(model);
    if (!modelAllowed(key, model)) throw ProxyException.modelNotAllowed(model);
    const provider = await this.providers.get(resolution.model.providerId);
    if (!provider) throw ProxyException.modelNotFound(model);
    const native = provider.adapter.messagesFor?.(resolution.model.upstreamModel);
    if (native) {
      const version = req.headers['anthropic-version'];
      const beta = req.headers['anthropic-beta'];
      const answer = await native.countTokens({
        body: { ...body, model: resolution.model.upstreamModel },
        version: typeof version === 'string' ? version : null,
        betas:
          typeof beta === 'string'
            ? beta
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : [],
        signal: AbortSignal.timeout(COUNT_TIMEOUT_MS),
        source: RawJsonObject.of(req.rawBody, req.body),
      });
      void reply.code(answer.status).type(answer.contentType).send(answer.body);
      return;
    }
    // count_tokens takes no max_tokens; the translator wants one
    const { chat } = messagesToChat({ ...body, max_tokens: 1 });
    void reply.type('application/json').send({ input_tokens: estimateChatUsage(chat, '').promptTokens });
  }
}
