import { Global, Module } from '@nestjs/common';
import { CallEventsService } from '#src/modules/calls/call-events.service';

/** The call-completed event bus that billing, audit logs and metrics subscribe to. */
@Global()
@Module({ providers: [CallEventsService], exports: [CallEventsService] })
export class CallsModule {}
