import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '#src/core/config/app-config';
import { ADMIN_JWT_AUDIENCE, type AdminJwtClaims } from '#src/modules/auth/admin-auth.service';
import { type AdminPrincipal, AdminPrincipalService } from '#src/modules/auth/admin-principal.service';

export const ADMIN_JWT_STRATEGY = 'admin-jwt';

/**
 * Verifies the admin JWT (HS256 with JWT_SECRET, audience, expiry) and turns its subject into the current
 * admin record: a JWT whose admin was deleted, disabled or expired, or (users) whose credential version
 * `cv` is no longer the user's (password changed, disabled), stops working at once through the admin API
 * and the CLI, and within CACHE_TTL after a change made straight in the database.
 */
@Injectable()
export class AdminJwtStrategy extends PassportStrategy(Strategy, ADMIN_JWT_STRATEGY) {
  constructor(
    config: AppConfig,
    private readonly principals: AdminPrincipalService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      audience: ADMIN_JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  async validate(claims: AdminJwtClaims): Promise<AdminPrincipal | false> {
    return (await this.principals.resolve(claims.auth_type, claims.sub, claims.cv)) ?? false;
  }
}
