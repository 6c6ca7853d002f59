import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppException } from '#src/core/errors/app.exception';
import { isPublicRoute } from '#src/core/http/public.decorator';

/**
 * The worker's global guard: it serves only `@Public()` routes (health, metrics), so any other route that
 * a module brings in answers 401 instead of being open. The API registers AdminAuthGuard globally instead.
 */
@Injectable()
export class PublicOnlyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (isPublicRoute(this.reflector, [context.getHandler(), context.getClass()])) return true;
    throw new AppException('unauthorized', 401, 'This process serves only its public routes', {
      type: 'authentication_error',
    });
  }
}
