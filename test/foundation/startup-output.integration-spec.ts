import { freePort, spawnBuilt, waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';

/** What a person running `npm start` reads: the one-time password, then a short summary, not Nest's registry. */
describe('start-up output', () => {
  beforeEach(() => resetState());

  it('logs module and route registration at debug and ends with a short summary after the password', async () => {
    const port = await freePort();
    const env = baseTestEnv();
    const proc = spawnBuilt('main', [], { ...env, GATEWAY_HTTP_PORT: String(port) });
    try {
      // the summary is printed after the JSON log is flushed, but the log's writes are asynchronous: wait for both
      const done = (out: string): boolean =>
        out.includes('Audit sink:') && out.includes('"msg":"gateway API listening"');
      await waitFor(async () => (done(proc.output()) ? true : undefined), 60_000);
      const lines = proc.output().split('\n');
      const registration = lines.filter((l) => /"context":"(InstanceLoader|RouterExplorer|RoutesResolver)"/.test(l));
      expect(registration).toEqual([]);

      const password = lines.findIndex((l) => l.includes('Password (shown once):'));
      const ready = lines.findIndex((l) => l.includes('Gateway ready:'));
      expect(password).toBeGreaterThan(-1);
      expect(ready - password).toBeLessThan(8);
      expect(lines.slice(ready, ready + 4).map((l) => l.trim())).toEqual([
        `Gateway ready:  http://localhost:${port}   API docs: http://localhost:${port}/docs`,
        'Admin:          admin@localhost (password generated now, printed above once)',
        'Processors:     on (billing and audit-log jobs run in this process)',
        `Audit sink:     files under ${env.DATA_DIR}/logs`,
      ]);
      const listening = lines.find((l) => l.includes('"msg":"gateway API listening"'));
      expect(JSON.parse(listening!)).toMatchObject({
        level: 'info',
        url: `http://localhost:${port}`,
        adminEmail: 'admin@localhost',
        passwordGenerated: true,
        processors: true,
      });
      expect(lines.filter((l) => l.startsWith('{')).length).toBeLessThan(15);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('still logs the registration lines at LOG_LEVEL=debug', async () => {
    const port = await freePort();
    const proc = spawnBuilt('main', [], { ...baseTestEnv(), GATEWAY_HTTP_PORT: String(port), LOG_LEVEL: 'debug' });
    try {
      const routeLines = (): string[] =>
        proc
          .output()
          .split('\n')
          .filter((l) => l.includes('"context":"RouterExplorer"'));
      // the summary is written straight to stdout, the log lines through pino's asynchronous destination: on a
      // loaded machine the summary can come first, so wait for the lines themselves
      await waitFor(async () => (proc.output().includes('Audit sink:') ? true : undefined), 60_000);
      const routes = await waitFor(async () => (routeLines().length > 10 ? routeLines() : undefined), 10_000);
      expect(routes.length).toBeGreaterThan(10);
      expect(routes.every((l) => l.includes('"level":"debug"'))).toBe(true);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});
