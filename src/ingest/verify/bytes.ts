/**
 * Hex ↔ bytes on the hot path. Buffer's hex codec is native and several times faster than a JS loop, but it stops
 * silently at the first non-hex character, so callers validate with `isHexBody` first.
 */

const HEX_BODY = /^[0-9a-fA-F]*$/;

/** True when `hex` is `0x` followed by exactly `bytes` bytes of hex (any case). */
export function isHexOfLength(hex: string, bytes: number): boolean {
  return (
    hex.length === 2 + 2 * bytes &&
    hex.charCodeAt(0) === 48 &&
    hex.charCodeAt(1) === 120 &&
    HEX_BODY.test(hex.slice(2))
  );
}

/** Decodes a `0x…` string already checked with `isHexOfLength`. */
export function hexToBytesUnchecked(hex: string): Uint8Array {
  return Buffer.from(hex.slice(2), 'hex');
}

/** Lower-case `0x…` hex of `length` bytes of `bytes` from `offset`. */
export function toHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): `0x${string}` {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('hex')}`;
}
