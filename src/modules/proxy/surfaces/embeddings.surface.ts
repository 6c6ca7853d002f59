import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { encodeEmbeddingsBase64 } from '#src/modules/proxy/embeddings-encoding';
import type { CallRequest, ProxyCall } from '#src/modules/proxy/proxy-call';
import type { Surface } from '#src/modules/proxy/proxy-calls.service';
import { requireObjectBody, validateEmbeddings } from '#src/modules/proxy/request-body';
import { estimateEmbeddingsUsage } from '#src/modules/proxy/usage-estimate';

interface EmbeddingsRequest extends CallRequest {
  base64: boolean;
}

/** `POST /v1/embeddings`; `encoding_format: "base64"` works for every provider (SPEC §3). */
@Injectable()
export class EmbeddingsSurface implements Surface<EmbeddingsRequest> {
  readonly endpoint = 'embeddings';

  parse(req: ProxyRequest): EmbeddingsRequest {
    const body = requireObjectBody(req.body, req.headers['content-type']);
    const fields = validateEmbeddings(body);
    return {
      model: fields.model,
      clientBody: body,
      body,
      stream: false,
      maxOutputTokens: null,
      serviceTier: null,
      base64: fields.base64,
      estimate: (sent) => estimateEmbeddingsUsage(sent),
    };
  }

  async answer(call: ProxyCall, request: EmbeddingsRequest, _reply: FastifyReply): Promise<void> {
    call.ctx.upstreamStarted();
    const result = await call.provider.adapter.embeddings(call.upstream());
    call.ctx.firstToken();
    const responseBody = request.base64 ? encodeEmbeddingsBase64(result.body) : result.body;
    // vectors stay out of the audit log
    call.succeeded({ usage: result.usage, generated: () => '', responseBody: null });
    call.respond(responseBody);
  }
}
