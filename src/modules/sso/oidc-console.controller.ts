import { Controller, Get, Logger, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException } from '#src/core/errors/app.exception';
import { Public } from '#src/core/http/public.decorator';
import { ConsoleSessionStore } from '#src/modules/auth/console-session.store';
import { OidcLoginStateStore } from '#src/modules/sso/oidc-login-state.store';
import { SsoSignInService } from '#src/modules/sso/sso-sign-in.service';

/** Where the console lands after a sign-in, and with `?sso_error=<code>` after a refused one. */
const CONSOLE_HOME = '/ui/';

/**
 * The console's SSO sign-in (SPEC §16): `login` sends the browser to the identity provider, `callback`
 * receives it back, creates the same server-side session as the password sign-in and opens the console.
 * Both are top-level browser navigations, so a refusal is a redirect to the console's sign-in page naming
 * the error (`/ui/?sso_error=sso_no_role`), not a JSON body. Neither changes admin data on a cross-site
 * request that could not also complete a sign-in at the provider in this browser.
 */
@ApiExcludeController()
@Public()
@Controller('ui/auth/oidc')
export class OidcConsoleController {
  private readonly logger = new Logger(OidcConsoleController.name);

  constructor(
    private readonly sso: SsoSignInService,
    private readonly sessions: ConsoleSessionStore,
    private readonly states: OidcLoginStateStore,
  ) {}

  @Get('login')
  async login(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const { url, cookie } = await this.sso.begin(req.ip, req.headers.cookie);
      await this.redirect(reply, url.href, [cookie]);
    } catch (err) {
      await this.refuse(reply, err);
    }
  }

  @Get('callback')
  async callback(
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    try {
      const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      const user = await this.sso.completeConsole(query, rawQuery, req.headers.cookie, req.ip);
      await this.redirect(reply, CONSOLE_HOME, [await this.sessions.create(user), this.states.clearCookie()]);
    } catch (err) {
      await this.refuse(reply, err);
    }
  }

  private async refuse(reply: FastifyReply, err: unknown): Promise<void> {
    const code = err instanceof AppException ? err.code : 'sso_failed';
    if (err instanceof AppException && err.status < 500) this.logger.warn({ code, cause: err.cause }, err.message);
    else this.logger.error({ err }, 'SSO sign-in failed');
    await this.redirect(reply, `${CONSOLE_HOME}?sso_error=${encodeURIComponent(code)}`, [this.states.clearCookie()]);
  }

  private async redirect(reply: FastifyReply, location: string, cookies: string[]): Promise<void> {
    await reply
      .code(302)
      .header('set-cookie', cookies)
      .header('cache-control', 'no-store')
      .header('location', location)
      .send();
  }
}
