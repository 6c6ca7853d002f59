import { Module } from '@nestjs/common';
import { CatalogFetcher } from '#src/modules/billing/catalog/catalog-fetcher';
import { CatalogImportService } from '#src/modules/billing/catalog/catalog-import.service';
import { ModelsModule } from '#src/modules/models/models.module';
import { ProvidersModule } from '#src/modules/providers/providers.module';

/** LiteLLM catalog import, shared by the admin API and the CLI. */
@Module({
  imports: [ModelsModule, ProvidersModule],
  providers: [CatalogFetcher, CatalogImportService],
  exports: [CatalogImportService],
})
export class CatalogModule {}
