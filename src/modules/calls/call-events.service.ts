import { Injectable, Logger } from '@nestjs/common';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';

/** A consumer of finished calls (billing, audit log). It must only enqueue: never await I/O on the caller's time. */
export interface CallEventSink {
  readonly name: string;
  accept(event: CallCompletedEvent): void;
}

/** The one interface finished calls leave the proxy through. */
@Injectable()
export class CallEventsService {
  private readonly logger = new Logger(CallEventsService.name);
  private readonly sinks: CallEventSink[] = [];

  register(sink: CallEventSink): void {
    this.sinks.push(sink);
  }

  publish(event: CallCompletedEvent): void {
    for (const sink of this.sinks) {
      try {
        sink.accept(event);
      } catch (err) {
        this.logger.error({ err, sink: sink.name, callId: event.callId }, 'call event sink failed');
      }
    }
  }
}
