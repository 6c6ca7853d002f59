import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '#test/utils/processes';

/** The two agent CLIs, as installed by package.json (devDependencies). */
export const CLAUDE_CODE_CLI = resolve(ROOT, 'node_modules/@anthropic-ai/claude-code/cli.js');
export const CODEX_CLI = resolve(ROOT, 'node_modules/@openai/codex/bin/codex.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True when the run outlived its timeout and was killed. */
  timedOut: boolean;
}

/**
 * Runs a Node entrypoint (a CLI's launcher) with exactly `env` (the test's own environment is not inherited) and
 * no standard input. The child leads its own process group, so a timeout kills it and whatever it started.
 */
export function runNodeCli(
  script: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; timeoutMs: number },
): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, opts.timeoutMs);
  return new Promise((res, rej) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** A temporary directory for one CLI run (its HOME, config and working directory). */
export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * An HTTP proxy on loopback that forwards nothing and records every attempt. The CLIs run with `HTTPS_PROXY` and
 * `HTTP_PROXY` pointing at it and `NO_PROXY` covering loopback, so any request meant for the internet (telemetry,
 * update checks, plugin catalogs) lands here instead of leaving the machine, and the test can say it happened.
 */
export class NetworkTrap {
  readonly attempts: string[] = [];
  url = '';
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.attempts.push(`${req.method} ${req.url}`);
      res.writeHead(502).end();
    });
    this.server.on('connect', (req, socket) => {
      this.attempts.push(`CONNECT ${req.url}`);
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The proxy variables a CLI gets: everything but loopback goes to the trap. */
  env(): Record<string, string> {
    return {
      HTTPS_PROXY: this.url,
      HTTP_PROXY: this.url,
      https_proxy: this.url,
      http_proxy: this.url,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
