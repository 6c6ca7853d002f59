import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AddressPolicy } from '#src/core/net/address-guard';
import { AlertsException } from '#src/modules/alerts/alerts.exception';

/**
 * A webhook URL as the admin API accepts it: absolute http(s), no credentials in it, and a host the address policy
 * allows (CATALOG_ALLOW_PRIVATE_URLS, the catalog's rule; link-local and metadata addresses never). A name is
 * resolved here so `localhost` or an internal name is refused at once; a name that does not resolve is accepted,
 * and every delivery checks again inside its own connection's lookup, so a later DNS change cannot reach a private
 * address either.
 */
export async function checkWebhookUrl(raw: string, policy: AddressPolicy): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw AlertsException.invalidUrl('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw AlertsException.invalidUrl('url must use http or https');
  if (url.username || url.password) throw AlertsException.invalidUrl('url must not carry credentials');
  const literal = policy.checkHost(url.hostname);
  if (literal) throw refusal(literal);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) {
    const addresses = await lookup(host, { all: true }).catch(() => []);
    for (const { address } of addresses) {
      const refused = policy.refusal(host, address);
      if (refused) throw refusal(refused);
    }
  }
  return raw;
}

function refusal(refused: { host: string; address: string; always: boolean; message: string }): AlertsException {
  return AlertsException.invalidUrl(
    refused.always
      ? `url: ${refused.message}`
      : `url: ${refused.message}; set CATALOG_ALLOW_PRIVATE_URLS=true to allow private addresses`,
  );
}
