import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Public } from '#src/core/http/public.decorator';
import { API_KEY_BEARER } from '#src/core/http/swagger';
import { ApiKeyGuard } from '#src/modules/proxy/api-key.guard';

/**
 * A proxy route: authenticated by a gateway API key (ApiKeyGuard), so the global admin guard lets it through
 * (`@Public()` for that guard only); an admin JWT never passes ApiKeyGuard.
 */
export const ApiKeyAuth = (): ClassDecorator & MethodDecorator =>
  applyDecorators(ApiBearerAuth(API_KEY_BEARER), Public(), UseGuards(ApiKeyGuard));
