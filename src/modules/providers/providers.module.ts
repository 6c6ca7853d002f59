import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';
import { CredentialUpgradeService } from '#src/modules/providers/credential-upgrade.service';
import { ProviderManagementService } from '#src/modules/providers/provider-management.service';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { ProviderEntity } from '#src/modules/providers/provider.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ProviderEntity])],
  providers: [
    ProviderRepository,
    CredentialCipher,
    ProviderRegistry,
    ProviderManagementService,
    CredentialUpgradeService,
  ],
  exports: [ProviderRepository, CredentialCipher, ProviderRegistry, ProviderManagementService],
})
export class ProvidersModule {}
