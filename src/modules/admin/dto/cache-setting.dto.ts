import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, ValidateBy } from 'class-validator';
import {
  CACHE_SCOPES,
  type CacheScope,
  type CacheSetting,
  cacheTtlMs,
} from '#src/modules/response-cache/cache-setting';

export const CACHE_DOC = {
  nullable: true,
  description:
    'Response cache (SPEC §14): identical calls answered from Redis at zero cost for `ttl`. The most specific ' +
    'setting wins (key, then team, then alias, then model); a ttl of 0 switches it off where a less specific one set it. ' +
    'null: not set here.',
} as const;

/** `{ttl, scope}` of the response cache, on aliases, models, API keys and teams. */
export class CacheSettingDto {
  @ApiProperty({ example: '1h', description: 'How long an answer is served: 0s to 7d (30s, 15m, 1h, 7d)' })
  @IsString()
  @ValidateBy({
    name: 'cacheTtl',
    validator: {
      validate: (v: unknown) => cacheTtlMs(v) !== null,
      defaultMessage: () => 'ttl must be a duration from 0s to 7d, such as 30s, 15m, 1h or 7d',
    },
  })
  ttl: string;

  @ApiProperty({
    enum: CACHE_SCOPES,
    example: 'key',
    description:
      "Who shares the answers: the calling key only, the keys of the caller's team (`team`; a key without a team keeps its own), or every key that may call the model (`global`)",
  })
  @IsIn(CACHE_SCOPES, { message: `scope must be one of ${CACHE_SCOPES.join(', ')}` })
  scope: CacheScope;

  /** The setting as stored: the ttl as the admin wrote it. */
  static toSetting(dto: CacheSettingDto | null | undefined): CacheSetting | null | undefined {
    return dto === undefined || dto === null ? dto : { ttl: dto.ttl.trim(), scope: dto.scope };
  }
}

/** The stored setting as answered (same shape as written). */
export class CacheSettingViewDto {
  @ApiProperty({ example: '1h' })
  ttl: string;

  @ApiProperty({ enum: CACHE_SCOPES, example: 'key' })
  scope: CacheScope;
}
