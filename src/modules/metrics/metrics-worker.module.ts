import { Module } from '@nestjs/common';
import { QueueGaugesService } from '#src/modules/metrics/queue-gauges.service';

/** Queue and audit-buffer gauges; registered with the processors, so only the worker role exports them. */
@Module({ providers: [QueueGaugesService] })
export class MetricsWorkerModule {}
