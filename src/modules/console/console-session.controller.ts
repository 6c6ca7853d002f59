import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UsePipes, ValidationPipe } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '#src/core/config/app-config';
import { Public } from '#src/core/http/public.decorator';
import { AuthLoginDto } from '#src/modules/admin/dto/admin-auth.dto';
import { AdminAuthService } from '#src/modules/auth/admin-auth.service';
import { AdminAuthException } from '#src/modules/auth/auth.exception';
import { ConsoleSessionStore, fromConsole } from '#src/modules/auth/console-session.store';

/** What the console learns about the signed-in admin (null: nobody is signed in). */
interface SessionBody {
  user: { id: string; email: string; roles: string[] } | null;
}

/** How the console may sign in: shown on its sign-in page before anyone is signed in. */
interface SignInMethodsBody {
  /** Email and password (`POST /ui/session`); false with UI_PASSWORD_LOGIN=false. */
  password: boolean;
  /** Single sign-on (`GET /ui/auth/oidc/login`); true when OIDC_ISSUER is set. */
  sso: boolean;
}

/** Sign-in and sign-out change state: only the console's own script may ask (a cross-site form cannot). */
function requireConsoleHeader(req: FastifyRequest): void {
  if (!fromConsole(req.headers)) throw AdminAuthException.consoleHeaderRequired();
}

/**
 * The console's backend-for-frontend sessions (SPEC §15): `POST /ui/session` checks the email and password
 * exactly as `/admin/auth/login` does (same throttle) and sets the HttpOnly session cookie; `GET` tells the
 * console who is signed in (`{user: null}` when nobody is); `DELETE` signs out. Tokens never reach the browser's JavaScript.
 */
@ApiExcludeController()
@Public()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
@Controller('ui')
export class ConsoleSessionController {
  constructor(
    private readonly auth: AdminAuthService,
    private readonly sessions: ConsoleSessionStore,
    private readonly config: AppConfig,
  ) {}

  @Get('auth/methods')
  methods(@Res({ passthrough: true }) reply: FastifyReply): SignInMethodsBody {
    void reply.header('cache-control', 'no-store');
    return { password: this.config.env.UI_PASSWORD_LOGIN, sso: this.config.oidc !== null };
  }

  @Post('session')
  @HttpCode(200)
  async signIn(
    @Body() body: AuthLoginDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionBody> {
    requireConsoleHeader(req);
    if (!this.config.env.UI_PASSWORD_LOGIN) throw AdminAuthException.passwordLoginDisabled();
    const user = await this.auth.authenticateUser(body.email, body.password, req.ip);
    void reply.header('set-cookie', await this.sessions.create(user)).header('cache-control', 'no-store');
    return { user: { id: user.id, email: user.email, roles: user.roles } };
  }

  @Get('session')
  async current(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionBody> {
    void reply.header('cache-control', 'no-store');
    // signed out is an answer, not an error: the console asks this on every load
    const principal = await this.sessions.principal(req.headers.cookie);
    return { user: principal ? { id: principal.id, email: principal.name, roles: principal.roles } : null };
  }

  @Delete('session')
  @HttpCode(204)
  async signOut(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    requireConsoleHeader(req);
    void reply.header('set-cookie', await this.sessions.destroy(req.headers.cookie));
  }
}
