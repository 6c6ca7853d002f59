import { Module } from '@nestjs/common';
import { AuditSink } from '#src/modules/audit/audit-sink.service';
import { AuditModule } from '#src/modules/audit/audit.module';

/**
 * The proxy side of audit logging: the sink that turns every finished call into a record for the buffer.
 * Only the API process imports it; a worker has no calls, and would otherwise hold a second sink on the bus.
 */
@Module({
  imports: [AuditModule],
  providers: [AuditSink],
  exports: [AuditSink],
})
export class AuditSinkModule {}
