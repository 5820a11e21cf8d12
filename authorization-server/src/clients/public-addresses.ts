import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a fetch on a client's behalf must not reach: loopback, private
 * (RFC 1918, unique-local), link-local, carrier-grade NAT, documentation,
 * benchmarking, multicast, reserved, and the IPv6 forms that embed an IPv4
 * address (mapped, NAT64, 6to4, Teredo).
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d, also written in hex) as the IPv4 address it stands for. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = Number.parseInt(hex[1] as string, 16);
  const low = Number.parseInt(hex[2] as string, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for a globally reachable unicast address; false for anything else, unparsable input included. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return !NOT_PUBLIC.check(bare, 'ipv4');
  if (family !== 6) return false;
  const ipv4 = mappedIpv4(bare);
  if (ipv4 !== undefined) return isIP(ipv4) === 4 && !NOT_PUBLIC.check(ipv4, 'ipv4');
  return !NOT_PUBLIC.check(bare, 'ipv6');
}

export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/**
 * A `lookup` for http(s).request that resolves once, checks every address,
 * and hands the socket exactly those addresses: the connection goes to what
 * was checked, so a DNS answer that changes between check and connect (DNS
 * rebinding) cannot steer it elsewhere. `allowPrivate` skips the check (the
 * deployment's own metadata host).
 */
export function guardedLookup(resolve: Resolve, allowPrivate: boolean): LookupFunction {
  const check = (hostname: string, family: number | undefined, addresses: LookupAddress[]): LookupAddress[] => {
    if (addresses.length === 0) throw new RefusedAddressError(`${hostname} has no address`);
    if (!allowPrivate && addresses.some((entry) => !isPublicAddress(entry.address))) {
      throw new RefusedAddressError(`${hostname} resolves to a non-public address`);
    }
    const usable = family ? addresses.filter((entry) => entry.family === family) : addresses;
    if (usable.length === 0) throw new RefusedAddressError(`${hostname} has no IPv${family} address`);
    return usable;
  };
  return (hostname, options, callback) => {
    const family = typeof options.family === 'number' && options.family !== 0 ? options.family : undefined;
    resolve(hostname)
      .then((addresses) => check(hostname, family, addresses))
      .then(
        (usable) => {
          const [first] = usable as [LookupAddress];
          if (options.all) callback(null, usable);
          else callback(null, first.address, first.family);
        },
        (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
      );
  };
}
