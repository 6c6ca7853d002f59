import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '#src/core/http/public.decorator';
import type { ConsoleAsset, ConsoleAssets } from '#src/modules/console/console-assets';

export const CONSOLE_ASSETS = Symbol('CONSOLE_ASSETS');

/**
 * The console's page may load scripts, styles and images only from this origin and talk only to it: no inline
 * script or style, no eval, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built console at /ui (SPEC §15): hashed files under /ui/assets/ cached for a year, `index.html`
 * (for every client route) revalidated on each load, all with the console's Content-Security-Policy; `/`
 * redirects to `/ui/`. Only the API process serves it.
 */
@ApiExcludeController()
@Public()
@Controller()
export class ConsoleAppController {
  constructor(@Inject(CONSOLE_ASSETS) private readonly assets: ConsoleAssets) {}

  @Get()
  root(@Res() reply: FastifyReply): void {
    void reply.redirect('/ui/', 302);
  }

  @Get('ui')
  bare(@Res() reply: FastifyReply): void {
    void reply.redirect('/ui/', 301);
  }

  @Get('ui/*')
  page(@Param('*') path: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    if (!this.assets.built) {
      void reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run build` (it builds webui/ into dist/webui/).\n');
      return;
    }
    const file = this.assets.file(path);
    // a missing asset is a 404 (a stale page asking for an old hash must not get HTML back); a route gets the app
    if (!file && path.startsWith('assets/')) {
      void reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
      return;
    }
    this.send(file ?? this.assets.index()!, req, reply);
  }

  private send(file: ConsoleAsset, req: FastifyRequest, reply: FastifyReply): void {
    void reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('etag', file.etag);
    if (req.headers['if-none-match'] === file.etag) {
      void reply.code(304).send();
      return;
    }
    void reply.type(file.contentType).send(file.body);
  }
}
