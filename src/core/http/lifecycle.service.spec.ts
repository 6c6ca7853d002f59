import { LifecycleService } from '#src/core/http/lifecycle.service';

describe('LifecycleService drain hooks', () => {
  it('runs every producer hook before any consumer hook, each stage in registration order', async () => {
    const sut = new LifecycleService();
    const ran: string[] = [];
    const hook = (name: string) => async (): Promise<void> => void ran.push(name);
    sut.onDrain('flush-a', hook('flush-a'), 'consumer');
    sut.onDrain('sink-a', hook('sink-a'), 'producer');
    sut.onDrain('flush-b', hook('flush-b'), 'consumer');
    sut.onDrain('sink-b', hook('sink-b'), 'producer');
    await sut.runDrainHooks(() => undefined);
    expect(ran).toEqual(['sink-a', 'sink-b', 'flush-a', 'flush-b']);
  });

  it('reports a failing hook and still runs the ones after it', async () => {
    const sut = new LifecycleService();
    const ran: string[] = [];
    const failed: string[] = [];
    sut.onDrain('sink', () => Promise.reject(new Error('down')), 'producer');
    sut.onDrain('flush', async () => void ran.push('flush'), 'consumer');
    await sut.runDrainHooks((name) => failed.push(name));
    expect({ failed, ran }).toEqual({ failed: ['sink'], ran: ['flush'] });
  });
});
