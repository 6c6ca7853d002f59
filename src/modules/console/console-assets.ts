import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/** One file of the built console, held in memory. */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Under assets/: its name carries a content hash, so it never changes (cached for a year). */
  immutable: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The built console, `dist/webui/` (written by `npm run build`) under the working directory, where the process
 * also finds `dist/src/main.js`: the project root, or /app in the image.
 */
export function defaultConsoleDir(): string {
  return join(process.cwd(), 'dist', 'webui');
}

/**
 * The console's files, read once at start-up (a few hundred kilobytes): requests are answered from memory by
 * exact path, so no request can name a file outside the build. Absent (the UI was not built): empty.
 */
export class ConsoleAssets {
  private readonly files = new Map<string, ConsoleAsset>();

  constructor(readonly dir: string) {
    if (!existsSync(join(dir, 'index.html'))) return;
    for (const path of walk(dir)) {
      const name = relative(dir, path).split(sep).join('/');
      const body = readFileSync(path);
      this.files.set(name, {
        body,
        contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: name.startsWith('assets/'),
      });
    }
  }

  get built(): boolean {
    return this.files.has('index.html');
  }

  /** The file at a path under /ui/ (`assets/index-3f2a.js`), or undefined. */
  file(name: string): ConsoleAsset | undefined {
    return this.files.get(name);
  }

  /** The app's page, for every client route. */
  index(): ConsoleAsset | undefined {
    return this.files.get('index.html');
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
