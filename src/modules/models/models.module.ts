import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import { ModelResolver } from '#src/modules/models/model-resolver.service';
import { ModelRepository } from '#src/modules/models/model.repository';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { ProvidersModule } from '#src/modules/providers/providers.module';
import { ModelEntity } from '#src/modules/models/model.entity';
import { PricingComponentEntity } from '#src/modules/models/pricing-component.entity';
import { ModelAliasEntity } from '#src/modules/models/model-alias.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, PricingComponentEntity, ModelAliasEntity]), ProvidersModule],
  providers: [ModelRepository, ModelAliasRepository, ModelResolver, ModelManagementService],
  exports: [ModelRepository, ModelAliasRepository, ModelResolver, ModelManagementService],
})
export class ModelsModule {}
