import { Module } from '@nestjs/common';
import { KeysModule } from '#src/modules/keys/keys.module';
import { MetricsSink } from '#src/modules/metrics/metrics.sink';
import { ModelsModule } from '#src/modules/models/models.module';
import { ProvidersModule } from '#src/modules/providers/providers.module';
import { ApiKeyGuard } from '#src/modules/proxy/api-key.guard';
import { CallPipeline } from '#src/modules/proxy/call-pipeline.service';
import { CompletionsHandler } from '#src/modules/proxy/completions.handler';
import { ModelCatalogService } from '#src/modules/proxy/model-catalog.service';
import { ProxyController } from '#src/modules/proxy/proxy.controller';
import { LimitsModule } from '#src/modules/ratelimit/limits.module';

@Module({
  imports: [KeysModule, ModelsModule, ProvidersModule, LimitsModule],
  controllers: [ProxyController],
  providers: [ApiKeyGuard, CallPipeline, CompletionsHandler, ModelCatalogService, MetricsSink],
})
export class ProxyModule {}
