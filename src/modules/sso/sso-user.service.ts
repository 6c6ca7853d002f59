import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { AdminAuditLogRepository } from '#src/modules/admin/admin-audit-log.repository';
import type { AuthenticatedUser } from '#src/modules/auth/admin-auth.service';
import type { AdminRole, AdminUserEntity } from '#src/modules/auth/admin-user.entity';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import type { OidcIdentity } from '#src/modules/sso/oidc-identity';
import { SsoException } from '#src/modules/sso/sso.exception';

/** The audit log's name for changes made by a sign-in through the identity provider. */
export const SSO_ADMIN_TYPE = 'sso';

type Outcome = { user: AdminUserEntity; changed: boolean };

const sameRoles = (a: readonly AdminRole[], b: readonly AdminRole[]): boolean =>
  a.length === b.length && a.every((r) => b.includes(r));

/**
 * The admin user behind an SSO identity: created at the first sign-in with the roles the identity provider's
 * groups map to, and given the provider's roles again at every sign-in (none left: the roles are emptied, so
 * sessions still open lose their access, and the sign-in is refused). An existing user with the same email is
 * linked only when the provider marks the email verified. Every creation, link and role change is written to
 * the admin audit log, in the same transaction.
 */
@Injectable()
export class SsoUserService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: AdminUserRepository,
    private readonly audit: AdminAuditLogRepository,
    private readonly invalidation: CacheInvalidationService,
  ) {}

  async signIn(identity: OidcIdentity, roles: AdminRole[], rolesClaim: string): Promise<AuthenticatedUser> {
    const { user, changed } = await this.dataSource.transaction(async (m) => {
      await this.users.lockRoster(m);
      const known = await this.users.findByOidcSubject(identity.issuer, identity.subject, m);
      if (known) return this.refresh(known, roles, m);
      if (roles.length === 0) throw SsoException.noRole(rolesClaim);
      return this.firstSignIn(identity, roles, m);
    });
    if (changed) await this.invalidation.invalidate('admins');
    if (user.roles.length === 0) throw SsoException.noRole(rolesClaim);
    if (!user.enabled) throw SsoException.userDisabled();
    return { id: user.id, email: user.email, roles: user.roles, credentialVersion: user.credentialVersion };
  }

  private async refresh(user: AdminUserEntity, roles: AdminRole[], m: EntityManager): Promise<Outcome> {
    if (sameRoles(user.roles, roles)) return { user, changed: false };
    user.roles = roles;
    const saved = await this.users.save(user, m);
    await this.record(saved, 'update', ['roles'], m);
    return { user: saved, changed: true };
  }

  private async firstSignIn(identity: OidcIdentity, roles: AdminRole[], m: EntityManager): Promise<Outcome> {
    if (!identity.email) throw SsoException.noEmail();
    const oidc = { issuer: identity.issuer, subject: identity.subject };
    const existing = await this.users.findByEmail(identity.email, m);
    if (existing) {
      // linking hands the account to whoever the provider says owns the address: only for a verified one
      if (existing.oidcSubject !== null || identity.emailVerified !== true)
        throw SsoException.emailTaken(identity.email);
      existing.oidcIssuer = oidc.issuer;
      existing.oidcSubject = oidc.subject;
      const changedRoles = !sameRoles(existing.roles, roles);
      existing.roles = roles;
      const saved = await this.users.save(existing, m);
      await this.record(saved, 'update', changedRoles ? ['oidc_subject', 'roles'] : ['oidc_subject'], m);
      return { user: saved, changed: true };
    }
    const created = await this.users.create(
      { email: identity.email, passwordHash: null, displayName: identity.displayName, roles, oidc },
      m,
    );
    await this.record(created, 'create', ['display_name', 'email', 'roles'], m);
    return { user: created, changed: true };
  }

  private record(
    user: AdminUserEntity,
    action: 'create' | 'update',
    fields: string[],
    m: EntityManager,
  ): Promise<void> {
    return this.audit.record(
      {
        adminId: user.id,
        adminType: SSO_ADMIN_TYPE,
        adminName: user.email,
        action,
        resource: 'admin_user',
        resourceId: user.id,
        fields,
      },
      m,
    );
  }
}
