import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'llmgw:public';

/**
 * Marks a route the global admin guard lets through: it needs no admin JWT (health, metrics, login), or it
 * is authenticated by a guard of its own (the proxy's `@ApiKeyAuth()`). Every other route needs an admin.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Whether a route (handler or class) is marked `@Public()`. */
export function isPublicRoute(
  reflector: { getAllAndOverride<T>(key: string, targets: object[]): T | undefined },
  targets: object[],
): boolean {
  return reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true;
}
