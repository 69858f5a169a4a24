/**
 * IPv4 and IPv6 addresses and CIDR ranges for the IpAddress / NotIpAddress operators. IAM takes
 * "the standard CIDR format (for example, 203.0.113.0/24 or 2001:DB8:1234:5678::/64)" and "If you
 * specify an IP address without the associated routing prefix, IAM uses the default prefix value
 * of /32" (IAM User Guide, reference_policies_elements_condition_operators); for IPv6 the whole
 * address is /128. An IPv4 range never contains an IPv6 address, and the reverse.
 */

/** An address as a number, with its family. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/** A range: the network's first address and the prefix length. */
export interface Cidr extends IpAddress {
  readonly prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tail = '';
  let v4Tail: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4Tail = parseIpv4(text.slice(lastColon + 1));
    if (v4Tail === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const doubleColon = head.indexOf('::');
  if (doubleColon >= 0) {
    if (head.indexOf('::', doubleColon + 1) >= 0) return undefined;
    tail = head.slice(doubleColon + 2);
    head = head.slice(0, doubleColon);
  }
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const wanted = v4Tail === undefined ? 8 : 6;
  const explicit = headGroups.length + tailGroups.length;
  if (doubleColon < 0 ? explicit !== wanted : explicit >= wanted) return undefined;
  const groups = [...headGroups, ...Array<string>(wanted - explicit).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (v4Tail !== undefined) value = (value << 32n) | v4Tail;
  return value;
}

/** Parses an IPv4 or IPv6 address, or returns undefined. */
export function parseIp(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  if (trimmed.includes(':')) {
    const value = parseIpv6(trimmed);
    return value === undefined ? undefined : { version: 6, value };
  }
  const value = parseIpv4(trimmed);
  return value === undefined ? undefined : { version: 4, value };
}

/** Parses `203.0.113.0/24`, `2001:DB8::/32` or a bare address (a single-address range). */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > bits) return undefined;
  const shift = BigInt(bits - prefix);
  return { version: ip.version, value: (ip.value >> shift) << shift, prefix };
}

/** Whether the range holds the address (same family, same leading `prefix` bits). */
export function cidrContains(range: Cidr, ip: IpAddress): boolean {
  if (range.version !== ip.version) return false;
  const shift = BigInt((range.version === 4 ? 32 : 128) - range.prefix);
  return (ip.value >> shift) << shift === range.value;
}
