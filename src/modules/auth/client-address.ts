import { isIPv4, isIPv6 } from 'node:net';

/** Expands an IPv6 address to its eight hextets (no zone id); null when it is not one. */
function hextets(address: string): string[] | null {
  const plain = address.split('%')[0];
  if (!isIPv6(plain)) return null;
  const [head, tail] = plain.includes('::') ? plain.split('::') : [plain, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // an embedded IPv4 tail (::ffff:1.2.3.4) takes two hextets
  const expand = (parts: string[]): string[] =>
    parts.flatMap((p) => {
      if (!p.includes('.')) return [p];
      const [a, b, c, d] = p.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const l = expand(left);
  const r = expand(right);
  const middle = tail === null ? [] : Array<string>(8 - l.length - r.length).fill('0');
  return [...l, ...middle, ...r].map((h) => parseInt(h, 16).toString(16));
}

/**
 * The unit a client address is throttled by: an IPv4 address as is, an IPv6 address by its /64 (one host
 * usually holds a whole /64, so per-address limits would not bind), an IPv4-mapped IPv6 address as IPv4.
 */
export function clientAddressBucket(address: string): string {
  if (isIPv4(address)) return address;
  const h = hextets(address);
  if (!h) return address.slice(0, 64) || 'unknown';
  if (h.slice(0, 5).every((x) => x === '0') && h[5] === 'ffff') {
    const n = (parseInt(h[6], 16) << 16) | parseInt(h[7], 16);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  return `${h.slice(0, 4).join(':')}::/64`;
}
