import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '#src/core/config/app-config';
import { CliUsageError } from '#src/cli-commands';
import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';

type Out = (line: string) => void;

export const RESET_ADMIN_PASSWORD_USAGE =
  'reset-admin-password --email E [--prompt]   new password for an admin (generated and printed once, or from ADMIN_NEW_PASSWORD, or typed with --prompt); ends their JWTs';

const MIN_PASSWORD_LENGTH = 8;

/** One line from stdin; on a terminal the prompt goes to stderr and the typing is not echoed. */
function readPassword(): Promise<string> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, terminal: tty });
  if (tty) {
    process.stderr.write('New password: ');
    // readline echoes through _writeToOutput: keep it silent while the password is typed
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      if (tty) process.stderr.write('\n');
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) reject(new CliUsageError('no password was given on stdin'));
    });
  });
}

/**
 * `reset-admin-password --email E [--prompt]`: the way back from a lost admin password. Sets a new password
 * (from --prompt, else ADMIN_NEW_PASSWORD, else generated and printed once) and raises the user's credential
 * version, so every JWT they hold stops working on every pod at once.
 */
export async function resetAdminPassword(
  ctx: INestApplicationContext,
  args: string[],
  config: AppConfig,
  out: Out,
): Promise<number> {
  const { values: v } = parseArgs({ args, options: { email: { type: 'string' }, prompt: { type: 'boolean' } } });
  if (!v.email) throw new CliUsageError('--email is required');
  let password = v.prompt ? await readPassword() : config.env.ADMIN_NEW_PASSWORD;
  const generated = password === undefined;
  password ??= randomBytes(18).toString('base64url');
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new CliUsageError(`the new password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  const user = await ctx.get(AdminUserManagementService).resetPassword(v.email, password);
  out(`password reset: ${user.email}; their existing sessions and JWTs no longer work`);
  if (generated) out(`new password (shown once): ${password}`);
  return 0;
}
