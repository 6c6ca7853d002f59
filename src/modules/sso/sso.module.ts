import { Module } from '@nestjs/common';
import { AdminModule } from '#src/modules/admin/admin.module';
import { AuthModule } from '#src/modules/auth/auth.module';
import { OidcAdminController } from '#src/modules/sso/oidc-admin.controller';
import { OidcClient } from '#src/modules/sso/oidc-client.service';
import { OidcConsoleController } from '#src/modules/sso/oidc-console.controller';
import { OidcLoginStateStore } from '#src/modules/sso/oidc-login-state.store';
import { SsoSignInService } from '#src/modules/sso/sso-sign-in.service';
import { SsoUserService } from '#src/modules/sso/sso-user.service';

/**
 * Single sign-on through an OpenID Connect provider (SPEC §16), for the console and for automation. Its routes
 * exist whether or not OIDC_ISSUER is set, and answer `sso_not_configured` when it is not. API process only.
 */
@Module({
  imports: [AuthModule, AdminModule],
  controllers: [OidcConsoleController, OidcAdminController],
  providers: [OidcClient, OidcLoginStateStore, SsoUserService, SsoSignInService],
})
export class SsoModule {}
