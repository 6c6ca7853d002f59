import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Loopback, private, shared, reserved and multicast ranges: refused unless private addresses are allowed. */
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

/**
 * Link-local ranges, where cloud metadata services answer (169.254.169.254, AWS's fd00:ec2::254): refused
 * always, whatever the settings allow, since they hand out the pod's own cloud identity.
 */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');

/** Host names of metadata services, refused before any lookup. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`, or `::ffff:7f00:1` as URLs write it). */
function mappedIpv4(address: string): string | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

function inList(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 4) return list.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = mappedIpv4(address);
  return v4 ? list.check(v4, 'ipv4') : list.check(address, 'ipv6');
}

/** True for loopback, private, link-local and other non-public addresses (and for anything not an IP). */
export function isPrivateAddress(address: string): boolean {
  return isIP(address) === 0 || inList(PRIVATE, address);
}

/** True for link-local and metadata addresses, which no setting allows. */
export function isLinkLocalAddress(address: string): boolean {
  return inList(LINK_LOCAL, address);
}

/** Thrown (and passed to the socket) when a host is, or resolves to, an address the policy refuses. */
export class AddressRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly always: boolean,
  ) {
    super(
      always
        ? `${host} is a link-local or metadata address (${address}), which is never called`
        : `${host} resolves to a loopback or private address (${address})`,
    );
    this.name = 'AddressRefusedError';
  }
}

/**
 * Which addresses outbound calls may reach. Link-local and metadata addresses are always refused; other
 * private and loopback addresses only when `allowPrivate`. The check runs inside the connection's own DNS
 * lookup (`lookup()`), so a name that resolves differently a second time (DNS rebinding) cannot slip
 * through; literal addresses never go through a lookup and are checked with `checkHost()`.
 */
export class AddressPolicy {
  constructor(readonly allowPrivate: boolean) {}

  /** The refusal for one resolved address of `host`, or null. */
  refusal(host: string, address: string): AddressRefusedError | null {
    if (isLinkLocalAddress(address)) return new AddressRefusedError(host, address, true);
    if (!this.allowPrivate && isPrivateAddress(address)) return new AddressRefusedError(host, address, false);
    return null;
  }

  /** Checks a URL's host before connecting: metadata names and literal addresses (DNS names are checked at lookup). */
  checkHost(rawHost: string): AddressRefusedError | null {
    const host = rawHost
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
      .toLowerCase();
    if (METADATA_HOSTS.has(host)) return new AddressRefusedError(host, host, true);
    return isIP(host) ? this.refusal(host, host) : null;
  }

  /** A `lookup` for net/tls connect options (undici `connect`, node http agents) that applies the policy. */
  lookup(): LookupFunction {
    return (hostname, options, callback) => {
      const early = this.checkHost(hostname);
      if (early) return callback(early, '', 0);
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        for (const a of addresses) {
          const refused = this.refusal(hostname, a.address);
          if (refused) return callback(refused, '', 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        return callback(null, addresses[0].address, addresses[0].family);
      });
    };
  }
}
