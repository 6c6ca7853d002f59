import { Injectable } from '@nestjs/common';
import { renderError } from '#src/core/http/exception.filter';
import type { ProviderTestResultDto } from '#src/modules/admin/dto/provider.dto';
import type { ModelEntity } from '#src/modules/models/model.entity';
import { ModelRepository } from '#src/modules/models/model.repository';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { ProvidersException } from '#src/modules/providers/providers.exception';
import { UpstreamException } from '#src/modules/providers/provider.exception';

/** How long a test call may take. */
const TEST_TIMEOUT_MS = 20_000;

/**
 * "Test connection" (`POST /admin/providers/:id/test`): one minimal real call through the provider's adapter,
 * as a proxied call would make it (a one-word chat with a 16-token limit, or a one-word embedding for an
 * embeddings model), reporting the latency or the provider's error as the gateway maps it (SPEC §3: never a
 * secret). Nothing is billed: no API key is involved.
 */
@Injectable()
export class ProviderConnectionTester {
  constructor(
    private readonly providers: ProviderRepository,
    private readonly registry: ProviderRegistry,
    private readonly models: ModelRepository,
  ) {}

  async test(providerId: string, modelName?: string): Promise<ProviderTestResultDto> {
    if (!(await this.providers.findById(providerId))) throw ProvidersException.notFound(providerId);
    const model = await this.modelFor(providerId, modelName);
    if (!model) {
      const message = modelName
        ? `No enabled model '${modelName}' on this provider`
        : 'The provider has no enabled model to call; add one first';
      return failure(0, modelName ?? null, null, 'no_model', message);
    }
    const registered = await this.registry.get(providerId);
    if (!registered) {
      const message = 'The provider is disabled or could not be loaded (the log says why)';
      return failure(0, model.name, null, 'provider_unavailable', message);
    }
    const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
    const started = performance.now();
    try {
      const embeddings = model.capabilities.includes('embeddings') && !model.capabilities.includes('chat');
      if (embeddings) {
        await registered.adapter.embeddings({
          upstreamModel: model.providerModelId ?? model.name,
          body: { model: model.name, input: 'ping' },
          signal,
        });
      } else {
        await registered.adapter.chat({
          upstreamModel: model.providerModelId ?? model.name,
          body: { model: model.name, messages: [{ role: 'user', content: 'ping' }], max_completion_tokens: 16 },
          signal,
        });
      }
      return { ok: true, latency_ms: elapsed(started), model: model.name };
    } catch (err) {
      const rendered = renderError(err, '/v1/chat/completions');
      const body = rendered.body as { error: { message: string; code: string | null; type: string } };
      const code = err instanceof UpstreamException ? err.upstreamCode : (body.error.code ?? body.error.type);
      return failure(elapsed(started), model.name, rendered.status, code, body.error.message);
    }
  }

  private async modelFor(providerId: string, name: string | undefined): Promise<ModelEntity | undefined> {
    const routable = (await this.models.findRoutable()).filter((m) => m.providerId === providerId);
    return name === undefined ? routable[0] : routable.find((m) => m.name === name);
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function failure(
  latency: number,
  model: string | null,
  status: number | null,
  code: string,
  message: string,
): ProviderTestResultDto {
  return { ok: false, latency_ms: latency, model, error: { status, code, message } };
}
