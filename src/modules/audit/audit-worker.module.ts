import { Module } from '@nestjs/common';
import { AuditFlushService } from '#src/modules/audit/audit-flush.service';
import { AuditModule } from '#src/modules/audit/audit.module';
import { LogFlushProcessor } from '#src/modules/audit/log-flush.processor';

/** The log-flush processor and its scheduler; registering this module is what runs them. */
@Module({
  imports: [AuditModule],
  providers: [AuditFlushService, LogFlushProcessor],
  exports: [AuditFlushService],
})
export class AuditWorkerModule {}
