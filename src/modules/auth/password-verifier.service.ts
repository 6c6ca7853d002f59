import { Injectable } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import { AdminAuthException } from '#src/modules/auth/auth.exception';
import { ConcurrencyGate, GateFullError } from '#src/modules/auth/concurrency-gate';
import { verifySecret } from '#src/modules/auth/password-hasher';

/**
 * Argon2 verification of login secrets, at most LOGIN_VERIFY_CONCURRENCY at once per process with
 * LOGIN_VERIFY_QUEUE waiting (beyond that 503): each verification holds a libuv pool thread and 64 MiB,
 * and the proxy needs the pool (DNS, TLS, zlib) to stay free.
 */
@Injectable()
export class PasswordVerifier {
  private readonly gate: ConcurrencyGate;

  constructor(config: AppConfig) {
    this.gate = new ConcurrencyGate(config.env.LOGIN_VERIFY_CONCURRENCY, config.env.LOGIN_VERIFY_QUEUE);
  }

  async verify(hash: string, plain: string): Promise<boolean> {
    try {
      return await this.gate.run(() => verifySecret(hash, plain));
    } catch (err) {
      if (err instanceof GateFullError) throw AdminAuthException.verifierBusy();
      throw err;
    }
  }
}
