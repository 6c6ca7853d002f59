import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthenticatedKey, ApiKeyAuthService } from '#src/modules/keys/api-key-auth.service';
import { ProxyCalls } from '#src/modules/proxy/proxy-calls.service';

/** The most of an unauthenticated caller's `model` field the audit record keeps. */
const MODEL_NAME_MAX = 256;

/** `rawBody`: the bytes a JSON body was parsed from (the API app is created with `rawBody: true`). */
export type ProxyRequest = FastifyRequest & { apiKey?: AuthenticatedKey; rawBody?: Buffer };

/** `Authorization: Bearer <key>`, else `x-api-key: <key>`. */
export function presentedKey(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ')
    return auth.slice(7).trim() || null;
  const header = req.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : null;
}

/**
 * The proxy's guard: a usable gateway API key, or 401 in OpenAI's shape. Admin JWTs never pass it. A refused
 * call still reaches the audit log, without its request body: the caller is unknown.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly auth: ApiKeyAuthService,
    private readonly calls: ProxyCalls,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.authenticate(http.getRequest<ProxyRequest>(), http.getResponse<FastifyReply>());
    return true;
  }

  /** Sets `req.apiKey`, or records the refusal and throws it (also in front of a `@DirectRoute()`). */
  async authenticate(req: ProxyRequest, reply: FastifyReply): Promise<void> {
    try {
      req.apiKey = await this.auth.authenticate(presentedKey(req));
    } catch (err) {
      const model = (req.body as { model?: unknown } | undefined)?.model;
      // recorded as answered (401 for a bad key, 503 when the database is down), without the body: anyone can
      // send up to 64 KB per call to the audit log without a key
      this.calls.refuse(req, reply, err, typeof model === 'string' ? model.slice(0, MODEL_NAME_MAX) : null);
      throw err;
    }
  }
}
