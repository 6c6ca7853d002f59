import { Module } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import { AuditBuffer } from '#src/modules/audit/audit-buffer';
import { AuditSink } from '#src/modules/audit/audit-sink.service';
import { AUDIT_STORE, createAuditStore } from '#src/modules/audit/audit-store';

/** Audit records (SPEC §8): the sink that buffers every call in Redis, and where flushed batches are stored. */
@Module({
  providers: [
    AuditBuffer,
    AuditSink,
    { provide: AUDIT_STORE, useFactory: (config: AppConfig) => createAuditStore(config), inject: [AppConfig] },
  ],
  exports: [AuditBuffer, AuditSink, AUDIT_STORE],
})
export class AuditModule {}
