import { Injectable } from '@nestjs/common';
import { Agent, fetch } from 'undici';
import { AppConfig } from '#src/core/config/app-config';
import { AddressPolicy, AddressRefusedError } from '#src/core/net/address-guard';
import { CatalogException } from '#src/modules/billing/catalog/catalog.exception';

export const CATALOG_FETCH_TIMEOUT_MS = 30_000;
export const CATALOG_MAX_BYTES = 20 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/**
 * Fetches a LiteLLM catalog from an http(s) URL with undici: at most 30 s for the whole transfer, under 20 MB,
 * redirects followed (and checked) by hand. Unless CATALOG_ALLOW_PRIVATE_URLS is set, the host is resolved
 * and refused when any address is loopback or private; link-local and metadata addresses are refused always
 * (the shared AddressPolicy, checked inside the connection's own DNS lookup against DNS rebinding).
 */
@Injectable()
export class CatalogFetcher {
  constructor(private readonly config: AppConfig) {}

  async fetchJson(rawUrl: string): Promise<unknown> {
    const policy = new AddressPolicy(this.config.env.CATALOG_ALLOW_PRIVATE_URLS);
    const agent = new Agent({ connect: { lookup: policy.lookup() } });
    const signal = AbortSignal.timeout(CATALOG_FETCH_TIMEOUT_MS);
    try {
      let url = checkUrl(rawUrl, policy);
      for (let hop = 0; ; hop++) {
        const res = await fetch(url, { dispatcher: agent, signal, redirect: 'manual' });
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          await res.body?.cancel();
          if (hop >= MAX_REDIRECTS) throw CatalogException.fetchFailed(`more than ${MAX_REDIRECTS} redirects`);
          url = checkUrl(new URL(location, url).toString(), policy);
          continue;
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw CatalogException.fetchFailed(`the URL answered HTTP ${res.status}`);
        }
        return JSON.parse(await readLimited(res.body, Number(res.headers.get('content-length') ?? 0)));
      }
    } catch (err) {
      throw toCatalogError(err, signal);
    } finally {
      void agent.close();
    }
  }
}

function checkUrl(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw CatalogException.urlRefused('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw CatalogException.urlRefused('url must use http or https');
  if (url.username || url.password) throw CatalogException.urlRefused('url must not carry credentials');
  // a literal address never goes through DNS lookup, so it is checked here
  const refused = policy.checkHost(url.hostname);
  if (refused) throw CatalogException.addressRefused(refused);
  return url;
}

async function readLimited(body: AsyncIterable<Uint8Array> | null, declared: number): Promise<string> {
  if (declared >= CATALOG_MAX_BYTES) throw CatalogException.fetchFailed('the catalog is 20 MB or larger');
  if (!body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size >= CATALOG_MAX_BYTES) throw CatalogException.fetchFailed('the catalog is 20 MB or larger');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toCatalogError(err: unknown, signal: AbortSignal): CatalogException {
  if (err instanceof CatalogException) return err;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof CatalogException) return cause;
  if (cause instanceof AddressRefusedError) return CatalogException.addressRefused(cause);
  if (signal.aborted)
    return CatalogException.fetchFailed(`no complete answer within ${CATALOG_FETCH_TIMEOUT_MS / 1000} s`);
  if (err instanceof SyntaxError) return CatalogException.fetchFailed('the URL did not answer JSON');
  return CatalogException.fetchFailed(`could not fetch the URL: ${(err as Error).message}`);
}
