import { Global, Module } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';

@Global()
@Module({ providers: [CacheInvalidationService], exports: [CacheInvalidationService] })
export class CacheModule {}
