import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyAuthService } from '#src/modules/keys/api-key-auth.service';
import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';
import { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { KeyMetadataEntity } from '#src/modules/keys/key-metadata.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity, KeyMetadataEntity])],
  providers: [ApiKeyRepository, ApiKeyAuthService, ApiKeyManagementService],
  exports: [ApiKeyRepository, ApiKeyAuthService, ApiKeyManagementService],
})
export class KeysModule {}
