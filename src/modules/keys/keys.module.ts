import { Module } from '@nestjs/common';
import { ApiKeyAuthService } from '#src/modules/keys/api-key-auth.service';
import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';

@Module({
  providers: [ApiKeyRepository, ApiKeyAuthService, ApiKeyManagementService],
  exports: [ApiKeyRepository, ApiKeyAuthService, ApiKeyManagementService],
})
export class KeysModule {}
