import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyAuthService } from '#src/modules/keys/api-key-auth.service';
import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';
import { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { KeyMetadataEntity } from '#src/modules/keys/key-metadata.entity';
import { TeamManagementService } from '#src/modules/keys/team-management.service';
import { TeamsModule } from '#src/modules/teams/teams.module';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity, KeyMetadataEntity]), TeamsModule],
  providers: [ApiKeyRepository, ApiKeyAuthService, ApiKeyManagementService, TeamManagementService],
  exports: [ApiKeyRepository, ApiKeyAuthService, ApiKeyManagementService, TeamManagementService, TeamsModule],
})
export class KeysModule {}
