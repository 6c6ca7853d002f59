import { Module } from '@nestjs/common';
import { ResponseCache } from '#src/modules/response-cache/response-cache.service';

/** The response cache (SPEC §14); Redis and the config come from CoreModule. */
@Module({ providers: [ResponseCache], exports: [ResponseCache] })
export class ResponseCacheModule {}
