import { AuditBuffer } from '#src/modules/audit/audit-buffer';
import { AuditSink } from '#src/modules/audit/audit-sink.service';
import { AUDIT_STORE } from '#src/modules/audit/audit-store';
import { LogFlushProcessor } from '#src/modules/audit/log-flush.processor';
import { BillingEnqueuer } from '#src/modules/billing/billing-enqueuer.service';
import { BillingProcessor } from '#src/modules/billing/billing.processor';
import { BillingService } from '#src/modules/billing/billing.service';
import { CallEventsService } from '#src/modules/calls/call-events.service';
import { startApi, startWorker, type TestApp } from '#test/utils/app';

/** Whether the app's container built `token` anywhere in its module graph. */
function provides(app: TestApp, token: Parameters<TestApp['app']['get']>[0]): boolean {
  try {
    app.app.get(token, { strict: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * The proxy-side sinks (billing enqueuer, audit sink) batch the calls an API process serves. A worker serves
 * none: it must not build them, nor the call-event bus they register on, while keeping what its processors
 * use (the audit buffer and store, the billing writer).
 */
describe('what each process builds', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('the worker builds the processors and what they use, and no proxy-side sink or call-event bus', async () => {
    const worker = await startWorker();
    apps.push(worker);
    for (const token of [LogFlushProcessor, BillingProcessor, AuditBuffer, AUDIT_STORE, BillingService])
      expect(provides(worker, token)).toBe(true);
    expect(provides(worker, AuditSink)).toBe(false);
    expect(provides(worker, BillingEnqueuer)).toBe(false);
    expect(provides(worker, CallEventsService)).toBe(false);
  });

  it('the API builds both sinks, and the processors only with RUN_PROCESSORS=true', async () => {
    const apiOnly = await startApi({ RUN_PROCESSORS: 'false' });
    apps.push(apiOnly);
    for (const token of [AuditSink, BillingEnqueuer, CallEventsService]) expect(provides(apiOnly, token)).toBe(true);
    expect(provides(apiOnly, LogFlushProcessor)).toBe(false);
    expect(provides(apiOnly, BillingProcessor)).toBe(false);

    const inline = await startApi({ RUN_PROCESSORS: 'true' });
    apps.push(inline);
    for (const token of [AuditSink, BillingEnqueuer, LogFlushProcessor, BillingProcessor])
      expect(provides(inline, token)).toBe(true);
  });
});
