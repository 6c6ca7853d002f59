import { SetMetadata } from '@nestjs/common';

export const DIRECT_ROUTE = 'llmgw:direct-route';

/**
 * Marks a proxy route Fastify serves straight to the controller method, without Nest's per-request pipeline
 * (execution context, global and route guards, interceptors, parameter factories): the global admin guard
 * only lets `@Public()` routes through and ApiKeyGuard runs in front of the method exactly as Nest runs it, so
 * the route behaves the same and a call costs less (issue 21). Only for `@ApiKeyAuth()` routes whose method
 * takes `(req, reply)` and answers itself; `serveDirectRoutes` refuses to start otherwise.
 */
export const DirectRoute = (): MethodDecorator => SetMetadata(DIRECT_ROUTE, true);
