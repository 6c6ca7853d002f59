import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { ApiKeyAuth } from '#src/modules/proxy/api-key-auth.decorator';
import { DirectRoute } from '#src/modules/proxy/direct-route.decorator';
import { ModelCatalogService } from '#src/modules/proxy/model-catalog.service';
import { ProxyCalls } from '#src/modules/proxy/proxy-calls.service';
import { ChatSurface } from '#src/modules/proxy/surfaces/chat.surface';
import { EmbeddingsSurface } from '#src/modules/proxy/surfaces/embeddings.surface';
import { ResponsesSurface } from '#src/modules/proxy/surfaces/responses/responses.surface';
import { StoredResponsesHandler } from '#src/modules/proxy/surfaces/responses/stored-responses.handler';
import { CountTokensHandler } from '#src/modules/proxy/surfaces/messages/count-tokens.handler';
import { MessagesSurface } from '#src/modules/proxy/surfaces/messages/messages.surface';

const OPENAI_REQUEST = {
  description:
    "OpenAI's request body; the gateway reads `model`, `stream`, the token limits and passes the rest through.",
  schema: {
    type: 'object',
    additionalProperties: true,
    required: ['model'],
    properties: { model: { type: 'string' } },
  },
};

/**
 * The OpenAI-compatible surface (SPEC §3), behind gateway API keys. Errors use OpenAI's shape. The call routes
 * (`@DirectRoute()`) are served by Fastify straight to their method (direct-routes.ts).
 */
@ApiTags('proxy')
@ApiKeyAuth()
@Controller()
export class ProxyController {
  constructor(
    private readonly calls: ProxyCalls,
    private readonly chat: ChatSurface,
    private readonly embeddings: EmbeddingsSurface,
    private readonly responses: ResponsesSurface,
    private readonly storedResponses: StoredResponsesHandler,
    private readonly messages: MessagesSurface,
    private readonly countTokens: CountTokensHandler,
    private readonly catalog: ModelCatalogService,
  ) {}

  @Post('v1/chat/completions')
  @DirectRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI Chat Completions; `stream: true` answers with Server-Sent Events' })
  @ApiBody(OPENAI_REQUEST)
  createChatCompletion(@Req() req: ProxyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.calls.run(req, reply, this.chat);
  }

  @Post('v1/embeddings')
  @DirectRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI Embeddings; `encoding_format: "base64"` works for every provider' })
  @ApiBody(OPENAI_REQUEST)
  createEmbedding(@Req() req: ProxyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.calls.run(req, reply, this.embeddings);
  }

  @Post('v1/responses')
  @DirectRoute()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'OpenAI Responses; `stream: true` answers with typed Server-Sent Events. Translated to chat for every model: built-in tools the model cannot run are dropped and named in `x-gateway-dropped-tools` (`x-gateway-strict: true` refuses them instead)',
  })
  @ApiBody(OPENAI_REQUEST)
  createResponse(@Req() req: ProxyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.calls.run(req, reply, this.responses);
  }

  @Get('v1/responses/:id')
  @ApiOperation({ summary: 'A stored response this key created (models served by pass-through to OpenAI or Azure)' })
  retrieveResponse(@Req() req: ProxyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    return this.storedResponses.retrieve(req, reply, id);
  }

  @Delete('v1/responses/:id')
  @ApiOperation({ summary: 'Deletes a stored response this key created' })
  deleteResponse(@Req() req: ProxyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    return this.storedResponses.remove(req, reply, id);
  }

  @Post('v1/messages')
  @DirectRoute()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Anthropic Messages (Claude Code, @anthropic-ai/sdk); `stream: true` answers with Anthropic's SSE events. Native for Anthropic providers (request, answer and errors unchanged), translated to chat for other models. Accepts `x-api-key` or `Authorization: Bearer`; errors in Anthropic's shape",
  })
  @ApiBody(OPENAI_REQUEST)
  createMessage(@Req() req: ProxyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.calls.run(req, reply, this.messages);
  }

  @Post('v1/messages/count_tokens')
  @DirectRoute()
  @HttpCode(200)
  @ApiOperation({
    summary: "Anthropic token counting: the provider's count where native, else the gateway's; not billed",
  })
  @ApiBody(OPENAI_REQUEST)
  countMessageTokens(@Req() req: ProxyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.countTokens.handle(req, reply);
  }

  @Get('v1/models')
  @ApiOperation({
    summary:
      "The aliases and models this key may use, in OpenAI list format (Anthropic's when the request carries `anthropic-version`)",
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { object: { type: 'string' }, data: { type: 'array', items: { type: 'object' } } },
    },
  })
  async listModels(@Req() req: ProxyRequest): Promise<unknown> {
    const list = await this.catalog.list(req.apiKey!);
    return req.headers['anthropic-version'] ? anthropicModelList(list.data) : list;
  }

  @Get('v1/models/:id')
  @ApiOperation({ summary: 'One alias or model this key may use' })
  retrieveModel(@Req() req: ProxyRequest, @Param('id') id: string): Promise<unknown> {
    return this.catalog.retrieve(req.apiKey!, id);
  }

  /** Model ids such as `meta-llama/Llama-3.1-8B` contain one slash. */
  @Get('v1/models/:owner/:name')
  @ApiOperation({ summary: 'One alias or model this key may use, for ids of the form owner/name' })
  retrieveNamespacedModel(
    @Req() req: ProxyRequest,
    @Param('owner') owner: string,
    @Param('name') name: string,
  ): Promise<unknown> {
    return this.catalog.retrieve(req.apiKey!, `${owner}/${name}`);
  }

  @Get('gateway/key')
  @ApiOperation({
    summary: "The calling key's own view: name, allowed models, limits, this month's spend and what is left",
  })
  getKey(@Req() req: ProxyRequest): Promise<unknown> {
    return this.catalog.keyView(req.apiKey!);
  }
}

/** Anthropic's model list shape (`GET /v1/models` with `anthropic-version`): one page holding every model. */
function anthropicModelList(models: { id: string; created: number }[]): unknown {
  return {
    data: models.map((m) => ({
      type: 'model',
      id: m.id,
      display_name: m.id,
      created_at: new Date(m.created * 1000).toISOString(),
    })),
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models.at(-1)?.id ?? null,
  };
}
