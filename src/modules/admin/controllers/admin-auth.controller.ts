import { Body, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminController, AdminEndpoint } from '#src/modules/admin/admin-endpoint.decorator';
import { AuthLoginDto, AuthServiceTokenDto, AuthTokenResponseDto } from '#src/modules/admin/dto/admin-auth.dto';
import { AdminAuthService, type IssuedToken } from '#src/modules/auth/admin-auth.service';

const answer = (t: IssuedToken): AuthTokenResponseDto => ({
  access_token: t.accessToken,
  token_type: 'Bearer',
  expires_in: t.expiresIn,
});

/**
 * Exchanges credentials for an admin JWT. Failed attempts are throttled per account and client address
 * (Fastify's `request.ip`, which follows TRUST_PROXY), so an attacker elsewhere cannot lock an admin out.
 */
@AdminController('auth', 'auth')
export class AdminAuthController {
  constructor(private readonly auth: AdminAuthService) {}

  @Post('login')
  @AdminEndpoint({
    summary: 'Log in with email and password',
    role: 'public',
    response: AuthTokenResponseDto,
    errors: [429],
  })
  async login(@Body() body: AuthLoginDto, @Req() req: FastifyRequest): Promise<AuthTokenResponseDto> {
    return answer(await this.auth.loginUser(body.email, body.password, req.ip));
  }

  @Post('token')
  @AdminEndpoint({
    summary: "Exchange a service account's token for a JWT",
    role: 'public',
    response: AuthTokenResponseDto,
    errors: [429],
  })
  async exchangeServiceToken(
    @Body() body: AuthServiceTokenDto,
    @Req() req: FastifyRequest,
  ): Promise<AuthTokenResponseDto> {
    return answer(await this.auth.loginService(body.service_name, body.token, req.ip));
  }
}
