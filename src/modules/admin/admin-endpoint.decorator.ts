import {
  applyDecorators,
  Controller,
  HttpCode,
  Param,
  ParseUUIDPipe,
  SetMetadata,
  type Type,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Public } from '#src/core/http/public.decorator';
import { ADMIN_BEARER } from '#src/core/http/swagger';
import {
  ADMIN_AUDIT_METADATA,
  ADMIN_RESOURCE_METADATA,
  type AdminAuditAction,
  AdminAuditInterceptor,
} from '#src/modules/admin/admin-audit.interceptor';
import { AdminErrorDto } from '#src/modules/admin/dto/common.dto';
import { ADMIN_ROLE_METADATA } from '#src/modules/auth/admin-roles';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';

/**
 * Validation for the admin API only: unknown fields are 400 and every message names its field. Not global,
 * because on /v1 it would strip OpenAI's fields and answer in the wrong error shape.
 */
const ADMIN_VALIDATION = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const UUID = new ParseUUIDPipe();

/** An admin resource controller under /admin/<path>, its changes audited under `resource`. */
export function AdminController(path: string, resource: string): ClassDecorator {
  return applyDecorators(
    Controller(`admin/${path}`),
    ApiTags(`admin: ${path}`),
    UsePipes(ADMIN_VALIDATION),
    UseInterceptors(AdminAuditInterceptor),
    SetMetadata(ADMIN_RESOURCE_METADATA, resource),
  );
}

/** The `:id` path parameter: a malformed id is a 400, not a database error. */
export const IdParam = (): ParameterDecorator => Param('id', UUID);

export interface AdminEndpointOptions {
  summary: string;
  /** The lowest role that may call the route; `public` for the login routes. */
  role: AdminRole | 'public';
  /** Success status; 200 unless set. */
  status?: 200 | 201 | 204;
  /** The success body (none for 204). */
  response?: Type<unknown>;
  /** Set on routes that change something: recorded in admin_audit_log. */
  audit?: AdminAuditAction;
  /** Failures the route can answer besides 400, 401 and 403. */
  errors?: (404 | 409 | 429)[];
}

const ERROR_DOCS = {
  404: () => ApiNotFoundResponse({ type: AdminErrorDto, description: 'No such resource' }),
  409: () => ApiConflictResponse({ type: AdminErrorDto, description: 'Conflicts with existing data' }),
  429: () => ApiTooManyRequestsResponse({ type: AdminErrorDto, description: 'Too many failed attempts' }),
};

function successDoc(status: 200 | 201 | 204, type: Type<unknown> | undefined): MethodDecorator {
  if (status === 204) return ApiNoContentResponse({ description: 'Done' });
  return status === 201 ? ApiCreatedResponse({ type }) : ApiOkResponse({ type });
}

/**
 * Every admin route: operation docs, the success and error responses, and either the route's minimum role for
 * the global admin guard (plus bearer auth in the docs) or an explicit `@Public()`.
 */
export function AdminEndpoint(options: AdminEndpointOptions): MethodDecorator {
  const status = options.status ?? 200;
  const decorators: (MethodDecorator | ClassDecorator)[] = [
    ApiOperation({ summary: options.summary }),
    HttpCode(status),
    successDoc(status, options.response),
    ApiBadRequestResponse({ type: AdminErrorDto, description: 'Invalid request; `message` lists each field' }),
    ApiUnauthorizedResponse({ type: AdminErrorDto, description: 'Missing or invalid credentials' }),
    ...(options.errors ?? []).map((code) => ERROR_DOCS[code]()),
  ];
  if (options.role === 'public') {
    decorators.push(Public());
  } else {
    decorators.push(
      ApiBearerAuth(ADMIN_BEARER),
      ApiForbiddenResponse({ type: AdminErrorDto, description: `Needs the '${options.role}' role` }),
      // checked by AdminAuthGuard, registered globally (APP_GUARD) by AuthModule
      SetMetadata(ADMIN_ROLE_METADATA, options.role),
    );
  }
  if (options.audit) decorators.push(SetMetadata(ADMIN_AUDIT_METADATA, options.audit));
  return applyDecorators(...decorators);
}
