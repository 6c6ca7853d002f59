import { Module } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import { AuditBuffer } from '#src/modules/audit/audit-buffer';
import { AUDIT_STORE, createAuditStore } from '#src/modules/audit/audit-store';

/** Audit records (SPEC §8): the Redis buffer both processes share, and where flushed batches are stored. */
@Module({
  providers: [
    AuditBuffer,
    { provide: AUDIT_STORE, useFactory: (config: AppConfig) => createAuditStore(config), inject: [AppConfig] },
  ],
  exports: [AuditBuffer, AUDIT_STORE],
})
export class AuditModule {}
