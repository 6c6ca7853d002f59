import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '#src/core/http/exception.filter';
import { IS_PUBLIC } from '#src/core/http/public.decorator';
import { ApiKeyGuard, type ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { DIRECT_ROUTE } from '#src/modules/proxy/direct-route.decorator';
import { ProxyController } from '#src/modules/proxy/proxy.controller';

type Handler = (req: ProxyRequest, reply: FastifyReply) => Promise<unknown>;

/** `POST /v1/chat/completions` → the method, for every `@DirectRoute()` of the controller. */
export function directRoutesOf(controller: object): Map<string, Handler> {
  const routes = new Map<string, Handler>();
  const prototype = Object.getPrototypeOf(controller) as Record<string, unknown>;
  const type = prototype.constructor as object;
  const controllerPath = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = prototype[name];
    if (typeof method !== 'function' || Reflect.getMetadata(DIRECT_ROUTE, method) !== true) continue;
    const guards = (Reflect.getMetadata(GUARDS_METADATA, method) ?? []) as unknown[];
    const isPublic = (Reflect.getMetadata(IS_PUBLIC, method) ?? Reflect.getMetadata(IS_PUBLIC, type)) as unknown;
    const classGuards = (Reflect.getMetadata(GUARDS_METADATA, type) ?? []) as unknown[];
    if (isPublic !== true || ![...guards, ...classGuards].includes(ApiKeyGuard))
      throw new Error(`@DirectRoute() ${name} is not an @ApiKeyAuth() route`);
    const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, method) as RequestMethod];
    const path = [controllerPath, String(Reflect.getMetadata(PATH_METADATA, method))]
      .map((part) => part.replace(/^\/+|\/+$/g, ''))
      .filter((part) => part !== '')
      .join('/');
    routes.set(`${verb} /${path}`, (method as Handler).bind(controller));
  }
  return routes;
}

/**
 * Serves the proxy's `@DirectRoute()`s from Fastify: when Nest registers one of them, its handler is replaced by
 * one that authenticates the key (ApiKeyGuard: a refusal is recorded and answered as Nest's filter answers it)
 * and calls the controller method. Call before the routes are registered (`app.init()`/`listen()`); startup
 * fails if one of them is then not registered under the path its decorators give.
 */
export function serveDirectRoutes(app: NestFastifyApplication): void {
  attachDirectRoutes(app.getHttpAdapter().getInstance(), app.get(ProxyController), app.get(ApiKeyGuard));
}

/** `serveDirectRoutes` on a Fastify instance, with the controller and the key guard given. */
export function attachDirectRoutes(
  fastify: FastifyInstance,
  controller: object,
  guard: Pick<ApiKeyGuard, 'authenticate'>,
): void {
  const routes = directRoutesOf(controller);
  const unserved = new Set(routes.keys());
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.length !== 1) return;
    const id = `${methods[0]} ${route.url}`;
    const handler = routes.get(id);
    if (!handler) return;
    unserved.delete(id);
    // not async: Fastify waits for nothing, as with Nest's own handler; the method answers through `reply`
    route.handler = function direct(request: FastifyRequest, reply: FastifyReply): void {
      const req = request as ProxyRequest;
      guard
        .authenticate(req, reply)
        .then(() => handler(req, reply))
        .catch((err: unknown) => sendError(req, reply, err));
    };
  });
  fastify.addHook('onReady', (done) => {
    done(unserved.size > 0 ? new Error(`@DirectRoute() not registered: ${[...unserved].join(', ')}`) : undefined);
  });
}
