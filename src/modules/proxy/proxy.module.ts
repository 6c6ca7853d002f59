import { Module } from '@nestjs/common';
import { AlertsModule } from '#src/modules/alerts/alerts.module';
import { KeysModule } from '#src/modules/keys/keys.module';
import { MetricsSink } from '#src/modules/metrics/metrics.sink';
import { ModelsModule } from '#src/modules/models/models.module';
import { ProvidersModule } from '#src/modules/providers/providers.module';
import { ApiKeyGuard } from '#src/modules/proxy/api-key.guard';
import { RoutingState } from '#src/modules/proxy/routing-state';
import { ModelCatalogService } from '#src/modules/proxy/model-catalog.service';
import { ProxyController } from '#src/modules/proxy/proxy.controller';
import { ProxyCalls } from '#src/modules/proxy/proxy-calls.service';
import { ChatSurface } from '#src/modules/proxy/surfaces/chat.surface';
import { EmbeddingsSurface } from '#src/modules/proxy/surfaces/embeddings.surface';
import { ResponsesSurface } from '#src/modules/proxy/surfaces/responses/responses.surface';
import { ResponseOwners } from '#src/modules/proxy/surfaces/responses/response-owners';
import { StoredResponsesHandler } from '#src/modules/proxy/surfaces/responses/stored-responses.handler';
import { CountTokensHandler } from '#src/modules/proxy/surfaces/messages/count-tokens.handler';
import { MessagesSurface } from '#src/modules/proxy/surfaces/messages/messages.surface';
import { LimitsModule } from '#src/modules/ratelimit/limits.module';
import { ResponseCacheModule } from '#src/modules/response-cache/response-cache.module';

@Module({
  imports: [KeysModule, ModelsModule, ProvidersModule, LimitsModule, ResponseCacheModule, AlertsModule],
  controllers: [ProxyController],
  providers: [
    ApiKeyGuard,
    ProxyCalls,
    ChatSurface,
    EmbeddingsSurface,
    ResponsesSurface,
    ResponseOwners,
    StoredResponsesHandler,
    MessagesSurface,
    CountTokensHandler,
    ModelCatalogService,
    MetricsSink,
    RoutingState,
  ],
})
export class ProxyModule {}
