import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { freePort, ROOT, waitFor } from '#test/utils/processes';
import { baseTestEnv } from '#test/utils/test-env';

/** Every process below `pid`, as `ps` sees them now. */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const [child, ppid] of rows)
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
  };
  walk(pid);
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Process managers (systemd, pm2, a closing terminal) signal the PID they started: here, npm's. */
describe('npm start', () => {
  it('stops the gateway when the npm start process gets SIGTERM', async () => {
    const port = await freePort();
    const npm: ChildProcess = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        ...baseTestEnv(),
        GATEWAY_HTTP_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const npmExited = new Promise<number | null>((res) => npm.on('exit', (code) => res(code)));
    let family: number[] = [];
    try {
      await waitFor(
        async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined),
        90_000,
      );
      family = descendants(npm.pid!);
      expect(family.length).toBeGreaterThan(0);

      npm.kill('SIGTERM');

      await npmExited;
      await waitFor(async () => (family.some(alive) ? undefined : true), 15_000);
      await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
      expect(output).toContain('shutdown complete');
    } finally {
      for (const pid of [npm.pid!, ...family].filter(alive)) process.kill(pid, 'SIGKILL');
    }
  }, 120_000);
});
