/**
 * CAIP-10 accounts as Push uses them.
 *
 * Forms accepted (any hex case — the SDK sends checksum case, users send anything; nothing is rejected for a
 * checksum mismatch, and `toChecksum` exists for display):
 *   - full      `eip155:<chainId>:0x<40 hex>`   channels, SDK recipients
 *   - partial   `eip155:0x<40 hex>`             users, feed owners
 *   - bare      `0x<40 hex>`
 *   - DIDs passed through from the chat world: `nft:eip155:<chain>:<contract>:<tokenId>[:<epoch>]`,
 *     `scw:eip155:<chain>:<address>`.
 * Output addresses are always lower-case, so two spellings of one account compare equal as strings.
 */
import type { Address } from 'viem';
import { getAddress } from 'viem';
import { parseFixedHex } from './hex.js';
import { fail, parseCanonicalUint, quote } from './text.js';

export type { Address };

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

export interface Eip155Account {
  kind: 'eip155';
  /** null for the partial (`eip155:0x…`) and bare (`0x…`) forms. */
  chainId: number | null;
  address: Address;
}

export interface NftDid {
  kind: 'nft';
  chainId: number;
  /** The NFT contract, lower-case. */
  address: Address;
  /** Decimal token id (uint256, kept as a string). */
  tokenId: string;
  /** The v1 form's trailing epoch (seconds); null for v2. */
  epoch: number | null;
  /** Canonical spelling (lower-case contract), usable as a key. */
  did: string;
}

export interface ScwDid {
  kind: 'scw';
  chainId: number;
  address: Address;
  did: string;
}

export type CaipAccount = Eip155Account | NftDid | ScwDid;

const CODE = 'PUSH_ERR_INVALID_CAIP';
const MAX_LENGTH = 256;

function parseAddressPart(input: string, field: string | undefined): Address {
  return parseFixedHex(input, 20, 'address', CODE, field);
}

function parseChainIdPart(input: string, whole: string, field: string | undefined): number {
  const n = parseCanonicalUint(input);
  if (n === null || n === 0) {
    fail(
      CODE,
      `chain id must be a positive integer without leading zeros, got ${quote(input)} in ${quote(whole)}`,
      field,
    );
  }
  return n;
}

/** Parses any accepted account form. Throws `PUSH_ERR_INVALID_CAIP` naming what is wrong. */
export function parseCaip(input: unknown, field?: string): CaipAccount {
  if (typeof input !== 'string') fail(CODE, `address must be a string, got ${quote(input)}`, field);
  if (input === '') fail(CODE, 'address is empty', field);
  if (input.length > MAX_LENGTH) fail(CODE, `address is too long (${input.length} characters)`, field);
  if (input.trim() !== input)
    fail(CODE, `address has leading or trailing whitespace: ${quote(input)}`, field);

  const parts = input.split(':');
  const head = parts[0] as string;
  if (parts.length === 1) {
    return { kind: 'eip155', chainId: null, address: parseAddressPart(head, field) };
  }
  if (head === 'nft' || head === 'scw') return parseDid(head, parts, input, field);
  if (head !== 'eip155') {
    fail(
      CODE,
      `unknown namespace ${quote(head)} in ${quote(input)}; only eip155 accounts (and nft:/scw: DIDs) are supported`,
      field,
    );
  }
  // The SDK turns a partial CAIP into `eip155:11155111:eip155:0x…`; say so instead of "wrong length".
  if (parts.indexOf('eip155', 1) !== -1) {
    fail(
      CODE,
      `partial CAIP inside a full CAIP; send a bare 0x or full CAIP (got ${quote(input)})`,
      field,
      'use 0x<address> or eip155:<chainId>:0x<address>',
    );
  }
  if (parts.length === 2) {
    return { kind: 'eip155', chainId: null, address: parseAddressPart(parts[1] as string, field) };
  }
  if (parts.length === 3) {
    const chainId = parseChainIdPart(parts[1] as string, input, field);
    return { kind: 'eip155', chainId, address: parseAddressPart(parts[2] as string, field) };
  }
  fail(CODE, `too many ':' segments in ${quote(input)}; expected eip155:<chainId>:0x<address>`, field);
}

function parseDid(
  head: 'nft' | 'scw',
  parts: string[],
  input: string,
  field: string | undefined,
): CaipAccount {
  if (parts[1] !== 'eip155') {
    fail(CODE, `${head}: DIDs must continue with eip155:, got ${quote(input)}`, field);
  }
  if (head === 'scw') {
    if (parts.length !== 4)
      fail(CODE, `expected scw:eip155:<chainId>:0x<address>, got ${quote(input)}`, field);
    const chainId = parseChainIdPart(parts[2] as string, input, field);
    const address = parseAddressPart(parts[3] as string, field);
    return { kind: 'scw', chainId, address, did: `scw:eip155:${chainId}:${address}` };
  }
  if (parts.length !== 5 && parts.length !== 6) {
    fail(CODE, `expected nft:eip155:<chainId>:<contract>:<tokenId>[:<epoch>], got ${quote(input)}`, field);
  }
  const chainId = parseChainIdPart(parts[2] as string, input, field);
  const address = parseAddressPart(parts[3] as string, field);
  const tokenId = parts[4] as string;
  if (!/^(0|[1-9][0-9]{0,77})$/.test(tokenId)) {
    fail(CODE, `NFT token id must be a decimal integer, got ${quote(tokenId)}`, field);
  }
  let epoch: number | null = null;
  if (parts.length === 6) {
    epoch = parseCanonicalUint(parts[5] as string);
    if (epoch === null) fail(CODE, `NFT DID epoch must be decimal seconds, got ${quote(parts[5])}`, field);
  }
  const did = `nft:eip155:${chainId}:${address}:${tokenId}${epoch === null ? '' : `:${epoch}`}`;
  return { kind: 'nft', chainId, address, tokenId, epoch, did };
}

/** Like `parseCaip`, but only eip155 accounts (full, partial or bare); DIDs are refused. */
export function parseEip155(input: unknown, field?: string): Eip155Account {
  const account = parseCaip(input, field);
  if (account.kind !== 'eip155') {
    fail(
      CODE,
      `${account.kind}: DIDs are not accepted here; send an eip155 account (got ${quote(input)})`,
      field,
    );
  }
  return account;
}

/** `eip155:<chainId>:0x<lower>`, or the partial `eip155:0x<lower>` when chainId is null. */
export function formatCaip(chainId: number | null, address: string): string {
  const lower = parseAddressPart(address, undefined);
  if (chainId === null) return `eip155:${lower}`;
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    fail(CODE, `chain id must be a positive safe integer, got ${String(chainId)}`);
  }
  return `eip155:${chainId}:${lower}`;
}

/** The canonical string of a parsed account (inverse of `parseCaip` up to hex case). */
export function formatAccount(account: CaipAccount): string {
  return account.kind === 'eip155' ? formatCaip(account.chainId, account.address) : account.did;
}

/** `eip155:0x<lower>` from any eip155 form — the key under which users, subscribers and feeds are stored. */
export function toPartialCaip(input: string, field?: string): string {
  return `eip155:${parseEip155(input, field).address}`;
}

/** The lower-case `0x` address of any eip155 form. */
export function normalizeAddress(input: string, field?: string): Address {
  return parseEip155(input, field).address;
}

/**
 * The key of a notification recipient: `eip155:0x<lower>` for accounts; nft:/scw: DIDs in canonical form
 * (they are their own identity and carry no chain-independent address).
 */
export function normalizeRecipient(input: string, field?: string): string {
  const account = parseCaip(input, field);
  return account.kind === 'eip155' ? `eip155:${account.address}` : account.did;
}

/** EIP-55 checksum spelling, for display and for APIs that return plain addresses. */
export function toChecksum(input: string, field?: string): Address {
  return getAddress(normalizeAddress(input, field));
}

/** Predicate; never throws: anything that is not a valid eip155 account is simply not the zero address. */
export function isZeroAddress(input: string): boolean {
  try {
    return normalizeAddress(input) === ZERO_ADDRESS;
  } catch {
    return false;
  }
}

/** Case-insensitive account equality across forms (chain ids ignored). Throws on invalid input. */
export function sameAddress(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}
