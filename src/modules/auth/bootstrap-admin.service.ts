import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '#src/core/config/app-config';
import { withSetupLock } from '#src/core/database/database-setup';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { hashSecret } from '#src/modules/auth/password-hasher';

export type BootstrapResult =
  | { created: false; reason: 'admin_exists' | 'not_configured' }
  | { created: true; email: string; generatedPassword?: string };

/**
 * Creates the first admin once, when no admin user exists, under the setup advisory lock (so two
 * processes starting together create exactly one). From BOOTSTRAP_ADMIN_EMAIL/PASSWORD; in development
 * with neither set, `admin@localhost` with a generated password that is printed once.
 */
@Injectable()
export class BootstrapAdminService {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly users: AdminUserRepository,
  ) {}

  run(): Promise<BootstrapResult> {
    return withSetupLock(this.dataSource, async () => {
      if ((await this.users.countAdmins()) > 0) return { created: false, reason: 'admin_exists' };
      const { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password } = this.config.env;
      if (email && password) {
        await this.users.create({
          email,
          passwordHash: await hashSecret(password),
          roles: ['admin'],
          displayName: 'Bootstrap admin',
        });
        this.logger.log({ email }, 'bootstrap admin created');
        return { created: true, email };
      }
      if (email || password) {
        this.logger.warn('set both BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD to bootstrap an admin');
        return { created: false, reason: 'not_configured' };
      }
      if (this.config.production) return { created: false, reason: 'not_configured' };
      const generated = randomBytes(18).toString('base64url');
      await this.users.create({
        email: 'admin@localhost',
        passwordHash: await hashSecret(generated),
        roles: ['admin'],
        displayName: 'Development admin',
      });
      return { created: true, email: 'admin@localhost', generatedPassword: generated };
    });
  }
}
