import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Agent, fetch } from 'undici';
import { AppConfig } from '#src/core/config/app-config';
import { AddressPolicy, AddressRefusedError } from '#src/core/net/address-guard';
import { SIGNATURE_HEADER, signatureHeader } from '#src/modules/alerts/webhook-signature';

/** The longest one POST may take, connection included. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 500;

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * POSTs a delivery with undici. The address policy (CATALOG_ALLOW_PRIVATE_URLS, as for the admin API's check) runs
 * again inside the connection's own DNS lookup, so a name that now resolves to a private address is not reached.
 * Redirects are not followed (a 3xx is a failure), and the answer's body is never read or stored.
 */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  private readonly policy: AddressPolicy;
  private readonly agent: Agent;

  constructor(config: AppConfig) {
    this.policy = new AddressPolicy(config.env.CATALOG_ALLOW_PRIVATE_URLS);
    this.agent = new Agent({ connect: { lookup: this.policy.lookup(), timeout: WEBHOOK_TIMEOUT_MS } });
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  async send(url: string, body: string, secret: string | null): Promise<SendOutcome> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'llm-gateway-webhooks',
    };
    if (secret !== null) headers[SIGNATURE_HEADER] = signatureHeader(secret, body, Math.floor(Date.now() / 1000));
    try {
      const refused = this.policy.checkHost(new URL(url).hostname);
      if (refused) return failure(null, refused.message);
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.body?.cancel();
      return res.ok ? { ok: true, statusCode: res.status, error: null } : failure(res.status, `HTTP ${res.status}`);
    } catch (err) {
      return failure(null, describe(err));
    }
  }
}

function failure(statusCode: number | null, error: string): SendOutcome {
  return { ok: false, statusCode, error: error.slice(0, MAX_ERROR_LENGTH) };
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof AddressRefusedError) return cause.message;
  if ((err as Error).name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return `${(err as Error).message}${detail}`;
}
