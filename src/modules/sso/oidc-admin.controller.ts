import { Body, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminController, AdminEndpoint } from '#src/modules/admin/admin-endpoint.decorator';
import { AuthOidcDto, AuthTokenResponseDto } from '#src/modules/admin/dto/admin-auth.dto';
import { SsoSignInService } from '#src/modules/sso/sso-sign-in.service';

/**
 * `POST /admin/auth/oidc`: automation presents an ID token from the gateway's identity provider and gets an
 * admin JWT, as with a password login; the user is created or given the provider's roles as at a console sign-in.
 */
@AdminController('auth', 'auth')
export class OidcAdminController {
  constructor(private readonly sso: SsoSignInService) {}

  @Post('oidc')
  @AdminEndpoint({
    summary: "Exchange an ID token from the gateway's identity provider for a JWT",
    role: 'public',
    response: AuthTokenResponseDto,
    errors: [404, 409, 429],
  })
  async exchangeIdToken(@Body() body: AuthOidcDto, @Req() req: FastifyRequest): Promise<AuthTokenResponseDto> {
    const token = await this.sso.exchangeIdToken(body.id_token, req.ip);
    return { access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn };
  }
}
