import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ModelResolver } from '#src/modules/models/model-resolver.service';
import type { NativeResponses, StoredResponseAnswer } from '#src/modules/providers/provider-adapter';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { ResponseOwners } from '#src/modules/proxy/surfaces/responses/response-owners';

const STORED_TIMEOUT_MS = 30_000;

/**
 * `GET` and `DELETE /v1/responses/{id}` for responses created through the gateway by pass-through: only the key
 * that created one reaches it (any other key, or an id the gateway never saw, gets 404); the provider's answer
 * is passed on as it is. Not billed.
 */
@Injectable()
export class StoredResponsesHandler {
  constructor(
    private readonly owners: ResponseOwners,
    private readonly resolver: ModelResolver,
    private readonly providers: ProviderRegistry,
  ) {}

  async retrieve(req: ProxyRequest, reply: FastifyReply, id: string): Promise<void> {
    const native = await this.nativeFor(req, id);
    this.send(reply, await native.retrieve(id, AbortSignal.timeout(STORED_TIMEOUT_MS)));
  }

  async remove(req: ProxyRequest, reply: FastifyReply, id: string): Promise<void> {
    const native = await this.nativeFor(req, id);
    this.send(reply, await native.remove(id, AbortSignal.timeout(STORED_TIMEOUT_MS)));
  }

  private async nativeFor(req: ProxyRequest, id: string): Promise<NativeResponses> {
    const owner = await this.owners.ownedBy(id, req.apiKey!.id);
    if (!owner) throw ProxyException.responseNotFound(id);
    const resolution = await this.resolver.resolve(owner.model);
    const provider = resolution ? await this.providers.get(resolution.model.providerId) : null;
    // the model or its provider was removed since: the response cannot be reached through the gateway
    if (!provider?.adapter.nativeResponses) throw ProxyException.responseNotFound(id);
    return provider.adapter.nativeResponses;
  }

  private send(reply: FastifyReply, answer: StoredResponseAnswer): void {
    void reply.code(answer.status).type('application/json').send(answer.body);
  }
}
