import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Injectable } from '@nestjs/common';
import { Agent, fetch } from 'undici';
import { AppConfig } from '#src/core/config/app-config';
import { CatalogException } from '#src/modules/billing/catalog/catalog.exception';

export const CATALOG_FETCH_TIMEOUT_MS = 30_000;
export const CATALOG_MAX_BYTES = 20 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/** Loopback, private, link-local, shared, reserved and multicast ranges: never fetched unless allowed. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const v4 = mappedIpv4(address);
  return v4 ? PRIVATE.check(v4, 'ipv4') : PRIVATE.check(address, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`, or `::ffff:7f00:1` as URLs write it). */
function mappedIpv4(address: string): string | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/**
 * Fetches a LiteLLM catalog from an http(s) URL with undici: at most 30 s for the whole transfer, under 20 MB,
 * redirects followed (and checked) by hand. Unless CATALOG_ALLOW_PRIVATE_URLS is set, the host is resolved
 * and refused when any address is loopback or private; the check runs inside the connection's own DNS
 * lookup, so a name that resolves differently a second time (DNS rebinding) cannot slip through.
 */
@Injectable()
export class CatalogFetcher {
  constructor(private readonly config: AppConfig) {}

  async fetchJson(rawUrl: string): Promise<unknown> {
    const allowPrivate = this.config.env.CATALOG_ALLOW_PRIVATE_URLS;
    const agent = new Agent({ connect: { lookup: guardedLookup(allowPrivate) } });
    const signal = AbortSignal.timeout(CATALOG_FETCH_TIMEOUT_MS);
    try {
      let url = checkUrl(rawUrl, allowPrivate);
      for (let hop = 0; ; hop++) {
        const res = await fetch(url, { dispatcher: agent, signal, redirect: 'manual' });
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          await res.body?.cancel();
          if (hop >= MAX_REDIRECTS) throw CatalogException.fetchFailed(`more than ${MAX_REDIRECTS} redirects`);
          url = checkUrl(new URL(location, url).toString(), allowPrivate);
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

function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw CatalogException.urlRefused('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw CatalogException.urlRefused('url must use http or https');
  if (url.username || url.password) throw CatalogException.urlRefused('url must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // a literal address never goes through DNS lookup, so it is checked here
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) throw CatalogException.privateAddress(host);
  return url;
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) return callback(CatalogException.privateAddress(`${hostname} (${refused.address})`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
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
  if (signal.aborted)
    return CatalogException.fetchFailed(`no complete answer within ${CATALOG_FETCH_TIMEOUT_MS / 1000} s`);
  if (err instanceof SyntaxError) return CatalogException.fetchFailed('the URL did not answer JSON');
  return CatalogException.fetchFailed(`could not fetch the URL: ${(err as Error).message}`);
}
