import { keccak256 } from 'viem';
import type { Hex } from './types.js';

/**
 * A header's logsBloom (yellow paper M3:2048): every log sets three bits for its address and three for each topic.
 * A bloom without an item's bits proves the block has no log with that item; one with them proves nothing (on busy
 * chains most bits are set).
 */

/** The three bloom bits of an item (an address or a topic), as [byte offset in the hex digits, mask]. */
export type BloomBits = readonly [number, number, number, number, number, number];

export function bloomBits(item: Hex): BloomBits {
  const h = keccak256(item.toLowerCase() as Hex);
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    // Bytes 2i and 2i+1 of the hash, big-endian, low 11 bits: the bit number, counted from the bloom's last byte.
    const bit = Number.parseInt(h.slice(2 + 4 * i, 6 + 4 * i), 16) & 2047;
    const byte = 255 - (bit >> 3);
    out.push(2 + 2 * byte, 1 << (bit & 7));
  }
  return out as unknown as BloomBits;
}

function has(bloom: string, bits: BloomBits): boolean {
  for (let i = 0; i < 6; i += 2) {
    const at = bits[i]!;
    if ((Number.parseInt(bloom.slice(at, at + 2), 16) & bits[i + 1]!) === 0) return false;
  }
  return true;
}

/**
 * A test for "may this block hold a log of one of `addresses` with one of `topics0` as its first topic": false only
 * when the header's bloom proves it does not. A missing or malformed bloom proves nothing.
 */
export function createBloomFilter(addresses: readonly Hex[], topics0: readonly Hex[]) {
  const addressBits = addresses.map(bloomBits);
  const topicBits = topics0.map(bloomBits);
  return (bloom: string | undefined): boolean => {
    if (bloom === undefined || bloom.length !== 514) return true;
    return addressBits.some((b) => has(bloom, b)) && topicBits.some((b) => has(bloom, b));
  };
}
