import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { DatabaseUnavailableException, isDatabaseUnavailable } from '#src/core/database/database-unavailable';
import { isPublicRoute } from '#src/core/http/public.decorator';
import type { AdminPrincipal } from '#src/modules/auth/admin-principal.service';
import { ADMIN_ROLE_METADATA, satisfiesRole } from '#src/modules/auth/admin-roles';
import { ADMIN_JWT_STRATEGY } from '#src/modules/auth/admin-jwt.strategy';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';
import { AdminAuthException } from '#src/modules/auth/auth.exception';
import { ConsoleSessionStore, fromConsole, hasSessionCookie } from '#src/modules/auth/console-session.store';

export type AdminRequest = FastifyRequest & { user?: AdminPrincipal };

/**
 * The API's global guard (APP_GUARD): every route needs a valid admin JWT (passport-jwt) whose admin currently
 * holds at least the route's role, unless it is marked `@Public()` (health, metrics, login, and the proxy's
 * `@ApiKeyAuth()` routes, which its own key guard checks). 401 without a JWT (an API key never passes), 403
 * below the role; a route without a declared role is refused, so a forgotten decorator fails closed.
 * Instead of a JWT, the console's session cookie (SPEC §15) is accepted on requests that carry
 * `x-requested-with: llmgw-console` (403 without it, so a cross-site form or image cannot ride on the cookie).
 */
@Injectable()
export class AdminAuthGuard extends AuthGuard(ADMIN_JWT_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: ConsoleSessionStore,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (isPublicRoute(this.reflector, targets)) return true;
    const request = context.switchToHttp().getRequest<AdminRequest>();
    if (request.headers.authorization === undefined && hasSessionCookie(request.headers.cookie)) {
      request.user = await this.consolePrincipal(request);
    } else {
      await (super.canActivate(context) as Promise<boolean>);
    }
    const required = this.reflector.getAllAndOverride<AdminRole | undefined>(ADMIN_ROLE_METADATA, targets);
    const principal = request.user;
    if (!required || !principal || !satisfiesRole(principal.roles, required))
      throw AdminAuthException.forbidden(required);
    return true;
  }

  private async consolePrincipal(request: AdminRequest): Promise<AdminPrincipal> {
    if (!fromConsole(request.headers)) throw AdminAuthException.consoleHeaderRequired();
    let principal: AdminPrincipal | null;
    try {
      principal = await this.sessions.principal(request.headers.cookie);
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableException(err);
      throw err;
    }
    if (!principal) throw AdminAuthException.notSignedIn();
    return principal;
  }

  override handleRequest<TUser = AdminPrincipal>(err: unknown, user: TUser | false): TUser {
    // the admin record could not be read: the database is down, not the token bad
    if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableException(err);
    if (err || !user) throw AdminAuthException.unauthorized();
    return user;
  }
}
