import { BlockList, isIP } from 'node:net';
import { pushError } from '../errors.js';

/** Loopback and private networks: the default of `api.deliveryNodes`. */
export const PRIVATE_NETWORKS = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::1/128',
  'fc00::/7',
] as const;

/**
 * A test of client addresses against a config list: `'any'`, or addresses and CIDR ranges (IPv4 or IPv6); a bad entry
 * is a config error naming it.
 */
export function createAddressMatcher(allow: 'any' | readonly string[], field = 'api.deliveryNodes') {
  if (allow === 'any') return (_address: string | undefined) => true;
  const list = new BlockList();
  for (const entry of allow) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    // Digits only: Number('') is 0, and "10.0.0.0/" would have admitted every IPv4 client.
    const bits =
      prefix === undefined ? (family === 6 ? 128 : 32) : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (
      !family ||
      extra !== undefined ||
      !Number.isInteger(bits) ||
      bits < 0 ||
      bits > (family === 6 ? 128 : 32)
    ) {
      throw pushError('PUSH_ERR_CONFIG_INVALID', `"${entry}" is not an IP address or CIDR range`, {
        field,
        hint: `e.g. "10.0.0.5", "10.0.0.0/8", "fd00::/8", or "any"`,
      });
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return (address: string | undefined): boolean => {
    if (!address) return false;
    // An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}
