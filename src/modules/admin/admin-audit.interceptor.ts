import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { mergeMap, type Observable } from 'rxjs';
import { AdminAuditLogRepository } from '#src/modules/admin/admin-audit-log.repository';
import type { AdminRequest } from '#src/modules/auth/admin-auth.guard';

export type AdminAuditAction = 'create' | 'update' | 'delete' | 'regenerate' | 'revoke' | 'import' | 'resend';

/** Handler metadata: the audited action of a route that changes something. */
export const ADMIN_AUDIT_METADATA = 'llmgw:admin-audit';
/** Controller metadata: the resource name its changes are recorded under (`api_key`, `provider`, ...). */
export const ADMIN_RESOURCE_METADATA = 'llmgw:admin-resource';

/**
 * Writes one admin_audit_log row after every successful change: who (admin id, type, email or service name),
 * what (action, resource, id) and the names of the fields the request set. Values are never recorded, so
 * passwords, tokens and credentials cannot land there. The row is written before the response is sent.
 */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AdminAuditInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AdminAuditLogRepository,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.reflector.get<AdminAuditAction | undefined>(ADMIN_AUDIT_METADATA, context.getHandler());
    if (!action) return next.handle();
    const resource = this.reflector.get<string>(ADMIN_RESOURCE_METADATA, context.getClass());
    const req = context.switchToHttp().getRequest<AdminRequest>();
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        await this.write(req, action, resource, result);
        return result;
      }),
    );
  }

  private async write(req: AdminRequest, action: AdminAuditAction, resource: string, result: unknown): Promise<void> {
    const body = req.body;
    let fields = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).sort() : [];
    // a raw catalog's keys are model names, not fields: record the form of the import instead
    if (action === 'import')
      fields = [fields.includes('url') ? 'url' : 'catalog', ...fields.filter((f) => f === 'provider_id')];
    const resourceId = (req.params as { id?: string } | undefined)?.id ?? (result as { id?: string } | undefined)?.id;
    try {
      await this.audit.record({
        adminId: req.user?.id ?? null,
        adminType: req.user?.type ?? 'unknown',
        adminName: req.user?.name ?? null,
        action,
        resource,
        resourceId: resourceId ?? null,
        fields,
      });
    } catch (err) {
      // the change is committed: answering 500 would invite a retry of something that already happened
      this.logger.error({ err, action, resource, resourceId }, 'admin audit record could not be written');
    }
  }
}
