import type { ServerResponse } from 'node:http';

/**
 * Writes a Server-Sent Events answer to the client as it is produced: the status and headers go out with the
 * first event, in the same socket write (so a failure before it is still a normal JSON error), and when the
 * client reads slower than the provider sends, `backpressure()` holds the provider's stream back until the
 * client's socket drains.
 */
export class SseWriter {
  private started = false;
  /** Set while the client's socket buffer is full; settled on 'drain' (or when the client leaves). */
  private drained: Promise<void> | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: () => Record<string, string>,
    private readonly onFirstEvent: () => void,
  ) {}

  get hasStarted(): boolean {
    return this.started;
  }

  /** Writes one event's text (`data: …\n\n`, or `event: …\ndata: …\n\n`). */
  write(text: string): void {
    this.start();
    if (!this.res.writableEnded && !this.res.write(text)) this.waitForDrain();
  }

  /** Ends the answer, with a last event's text if given. */
  end(text?: string): void {
    this.start();
    if (!this.res.writableEnded) this.res.end(text);
  }

  backpressure(): Promise<void> | undefined {
    return this.drained ?? undefined;
  }

  private waitForDrain(): void {
    if (this.drained || this.res.destroyed) return;
    this.drained = new Promise((resolve) => {
      const settle = (): void => {
        this.res.off('drain', settle);
        this.res.off('close', settle);
        this.drained = null;
        resolve();
      };
      this.res.once('drain', settle);
      this.res.once('close', settle);
    });
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.onFirstEvent();
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.headers(),
    });
    // no flushHeaders(): Node then sends the headers with the first event's text, one write instead of two
  }
}
