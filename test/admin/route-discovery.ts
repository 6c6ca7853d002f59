import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { IS_PUBLIC } from '#src/core/http/public.decorator';
import { ADMIN_ROLE_METADATA } from '#src/modules/auth/admin-roles';
import type { TestApp } from '#test/utils/app';

/** A route as Nest registered it, with what protects it. */
export interface NestRoute {
  method: string;
  /** `/admin/api-keys/:id/regenerate` */
  path: string;
  controller: string;
  handler: string;
  guards: string[];
  isPublic: boolean;
  declaredRole: string | undefined;
  hasBody: boolean;
}

const BODY_PARAMTYPE = 3; // RouteParamtypes.BODY

const join = (...parts: string[]): string =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

const asArray = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : [v ?? '']);

/** Every controller route of the running app, read from Nest's module container and route metadata. */
export function nestRoutes(api: TestApp): NestRoute[] {
  const scanner = new MetadataScanner();
  const routes: NestRoute[] = [];
  for (const module of api.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!type) continue;
      const classGuards = (Reflect.getMetadata(GUARDS_METADATA, type) as unknown[] | undefined) ?? [];
      const classPublic = Reflect.getMetadata(IS_PUBLIC, type) === true;
      for (const name of scanner.getAllMethodNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name] as object;
        const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (methodPath === undefined) continue;
        const guards = [...classGuards, ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? [])];
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) as Record<string, unknown>) ?? {};
        for (const base of asArray(Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined)) {
          for (const sub of asArray(methodPath)) {
            routes.push({
              method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod],
              path: join(base, sub),
              controller: type.name,
              handler: name,
              guards: guards.map((g) => (typeof g === 'function' ? g.name : String(g))),
              isPublic: classPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true,
              declaredRole: Reflect.getMetadata(ADMIN_ROLE_METADATA, handler) as string | undefined,
              hasBody: Object.keys(args).some((k) => k.split(':')[0] === String(BODY_PARAMTYPE)),
            });
          }
        }
      }
    }
  }
  return routes;
}

/** `:id`, `:id|:owner` (how Fastify prints params of different names at one node) → `:param`. */
export const normalisePath = (path: string): string => path.replace(/:[^/|]+(\|:[^/|]+)*/g, ':param');

/**
 * Every route the Fastify instance serves (HEAD twins of GET routes left out), parsed from printRoutes:
 * Nest's routes plus whatever was registered on Fastify directly (Swagger's /docs).
 */
export function fastifyRoutes(api: TestApp): { method: string; path: string }[] {
  const tree = api.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
  const routes: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = m[1].length / 4;
    // find-my-way prints the wildcard of `/ui/*` as a `*` child of `ui`
    const segment = m[2] === '*' && !stack.join('').endsWith('/') ? '/*' : m[2];
    const path = stack.join('') + segment;
    stack.push(segment);
    for (const method of m[3]?.split(', ') ?? [])
      if (method !== 'HEAD') routes.push({ method, path: normalisePath(path) });
  }
  return routes;
}
