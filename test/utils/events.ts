import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { CallEventsService } from '#src/modules/calls/call-events.service';
import type { TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';

/** Collects the call-completed events an app publishes. */
export class EventCapture {
  readonly events: CallCompletedEvent[] = [];

  constructor(app: TestApp) {
    app.get(CallEventsService).register({ name: 'test-capture', accept: (e) => this.events.push(e) });
  }

  /** The event of a call, waiting for it (events are published after the response). */
  forCall(callId: string): Promise<CallCompletedEvent> {
    return waitFor(async () => this.events.find((e) => e.callId === callId), 5000, 10);
  }

  async count(n: number): Promise<CallCompletedEvent[]> {
    return waitFor(async () => (this.events.length >= n ? this.events : undefined), 5000, 10);
  }

  clear(): void {
    this.events.length = 0;
  }
}
