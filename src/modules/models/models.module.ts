import { Module } from '@nestjs/common';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import { ModelResolver } from '#src/modules/models/model-resolver.service';
import { ModelRepository } from '#src/modules/models/model.repository';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { ProvidersModule } from '#src/modules/providers/providers.module';

@Module({
  imports: [ProvidersModule],
  providers: [ModelRepository, ModelAliasRepository, ModelResolver, ModelManagementService],
  exports: [ModelRepository, ModelAliasRepository, ModelResolver, ModelManagementService],
})
export class ModelsModule {}
