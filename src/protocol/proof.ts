/**
 * `verificationProof` strings (reference §4.2, SDK contract §3.3).
 *
 *   eip712v2:<sig>[::uid::<uid>]       off-chain send (SDK) and subscribe V2
 *   eip712v1:<sig>[::uid::<uid>]       legacy typed-payload send
 *   eip712:<sig>[::uid::<uid>]         legacy V1 subscribe as stored by the original node
 *   0x<130 hex>                        legacy V1 subscribe body (= eip712, bare)
 *   eip155:<chainId>:<txHash>          on-chain SendNotification / Subscribe
 *   thegraph:<subgraphId>+<n>[::uid::<uid>]   subgraph poller
 *   pgpv4:<armored detached signature> PushAPI users with a PGP key (split on the first colon only)
 *
 * The `::uid::` suffix is an unsigned per-request nonce: it only makes the proof string unique (proofs are the
 * idempotency key). It is refused on `eip155:` proofs, whose uniqueness must come from the transaction itself —
 * otherwise one on-chain notification could be replayed under any number of uids.
 */
import { type Hex, parseFixedHex } from './hex.js';
import { formatSubgraphRef, parseSubgraphRef } from './subgraph.js';
import { fail, parseCanonicalUint, quote } from './text.js';

export interface SignatureProof<K extends 'eip712v2' | 'eip712v1' | 'eip712'> {
  kind: K;
  /**
   * Lower-case hex: 65 bytes from an account key (recovered), or up to MAX_SIGNATURE_BYTES from a contract wallet
   * (checked through ERC-1271: a Safe packs 65 bytes per owner, smart accounts wrap more).
   */
  signature: Hex;
  uid?: string;
}

export interface BareEip712Proof {
  kind: 'eip712';
  signature: Hex;
  /** The proof arrived as a bare `0x…` signature (legacy V1 subscribe); `formatProof` writes it back that way. */
  bare: true;
}

export interface Eip155Proof {
  kind: 'eip155';
  chainId: number;
  /** 32 bytes, lower-case hex. */
  txHash: Hex;
}

export interface TheGraphProof {
  kind: 'thegraph';
  subgraphId: string;
  counter: number;
  uid?: string;
}

export interface PgpV4Proof {
  kind: 'pgpv4';
  /** The armored detached signature exactly as received. */
  armored: string;
}

export type ParsedProof =
  | SignatureProof<'eip712v2'>
  | SignatureProof<'eip712v1'>
  | SignatureProof<'eip712'>
  | BareEip712Proof
  | Eip155Proof
  | TheGraphProof
  | PgpV4Proof;

export type ProofKind = ParsedProof['kind'];

const INVALID = 'PUSH_ERR_INVALID_PROOF';
const UNSUPPORTED = 'PUSH_ERR_UNSUPPORTED_PROOF';
const UID_MARK = '::uid::';
const UID = /^[A-Za-z0-9._-]{1,128}$/;
/** Armored PGP signatures are well under 2 KB; the cap keeps absurd strings out of the unique index. */
const MAX_LENGTH = 16_384;
/** Longest signature taken to a contract wallet: a 30-of-n Safe, or a smart account's wrapped WebAuthn signature. */
export const MAX_SIGNATURE_BYTES = 2048;
const PGP_BEGIN = '-----BEGIN PGP SIGNATURE-----';
const PGP_END = '-----END PGP SIGNATURE-----';

/** Proof prefixes that exist in the Push world but that this node does not accept, with the reason. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  pgpv2: 'pgpv2 proofs belong to chat/video senders, which this node does not serve',
  w2wv1: 'w2wv1 proofs belong to chat messages, which this node does not serve',
  eip191v2: 'eip191v2 proofs sign user profiles (POST /v2/users), not notifications or subscriptions',
};

export function parseProof(input: unknown, field = 'verificationProof'): ParsedProof {
  if (typeof input !== 'string')
    fail(INVALID, `verificationProof must be a string, got ${quote(input)}`, field);
  if (input === '') fail(INVALID, 'verificationProof is empty', field);
  if (input.length > MAX_LENGTH)
    fail(INVALID, `verificationProof is too long (${input.length} characters)`, field);

  const colon = input.indexOf(':');
  if (colon === -1) {
    if (input.startsWith('0x')) {
      return { kind: 'eip712', signature: parseSignature(input, field), bare: true };
    }
    fail(
      INVALID,
      `verificationProof has no "<type>:" prefix and is not a bare 0x signature: ${quote(input)}`,
      field,
    );
  }
  const prefix = input.slice(0, colon);
  const rest = input.slice(colon + 1);

  switch (prefix) {
    case 'eip712v2':
    case 'eip712v1':
    case 'eip712': {
      const { body, uid } = splitUid(rest, field);
      const signature = parseSignature(body, field);
      // `prefix` is one of three literals; TS cannot distribute the object over them, hence the annotation.
      const proof: SignatureProof<typeof prefix> = {
        kind: prefix,
        signature,
        ...(uid === undefined ? {} : { uid }),
      };
      return proof as ParsedProof;
    }
    case 'eip155':
      return parseEip155Proof(rest, field);
    case 'thegraph': {
      const { body, uid } = splitUid(rest, field);
      const ref = parseSubgraphRef(body, INVALID, 'thegraph proof', field);
      return { kind: 'thegraph', ...ref, ...(uid === undefined ? {} : { uid }) };
    }
    case 'pgpv4':
      return { kind: 'pgpv4', armored: parseArmored(rest, field) };
    default: {
      if (Object.hasOwn(KNOWN_UNSUPPORTED, prefix))
        fail(UNSUPPORTED, KNOWN_UNSUPPORTED[prefix] as string, field);
      fail(
        UNSUPPORTED,
        `unknown verificationProof type ${quote(prefix)}`,
        field,
        'supported: eip712v2, eip712v1, eip712, eip155, thegraph, pgpv4',
      );
    }
  }
}

function parseSignature(input: string, field: string | undefined): Hex {
  const bytes = (input.length - 2) / 2;
  if (bytes > MAX_SIGNATURE_BYTES)
    fail(INVALID, `signature is longer than ${MAX_SIGNATURE_BYTES} bytes (${Math.floor(bytes)})`, field);
  if (!input.startsWith('0x') || bytes <= 65 || !Number.isInteger(bytes))
    return parseFixedHex(input, 65, 'signature', INVALID, field);
  // Longer than an account key's: only a contract wallet can accept it (ERC-1271), never recovery.
  return parseFixedHex(input, bytes, 'signature', INVALID, field);
}

function splitUid(rest: string, field: string | undefined): { body: string; uid?: string } {
  const at = rest.indexOf(UID_MARK);
  if (at === -1) return { body: rest };
  const uid = rest.slice(at + UID_MARK.length);
  if (!UID.test(uid)) {
    fail(INVALID, `the ::uid:: suffix must be 1-128 characters of [A-Za-z0-9._-], got ${quote(uid)}`, field);
  }
  return { body: rest.slice(0, at), uid };
}

function parseEip155Proof(rest: string, field: string | undefined): Eip155Proof {
  if (rest.includes(UID_MARK)) {
    fail(
      INVALID,
      'eip155 proofs cannot carry a ::uid:: suffix; the transaction hash is the unique part',
      field,
    );
  }
  const parts = rest.split(':');
  if (parts.length !== 2) {
    fail(INVALID, `expected eip155:<chainId>:<txHash>, got ${quote(`eip155:${rest}`)}`, field);
  }
  const chainId = parseCanonicalUint(parts[0] as string);
  if (chainId === null || chainId === 0) {
    fail(INVALID, `eip155 proof chain id must be a positive integer, got ${quote(parts[0])}`, field);
  }
  return {
    kind: 'eip155',
    chainId,
    txHash: parseFixedHex(parts[1] as string, 32, 'transaction hash', INVALID, field),
  };
}

function parseArmored(rest: string, field: string | undefined): string {
  const begin = rest.indexOf(PGP_BEGIN);
  if (begin !== 0) {
    fail(INVALID, `pgpv4 proof must be an armored signature starting with ${PGP_BEGIN}`, field);
  }
  if (rest.indexOf(PGP_END, PGP_BEGIN.length) === -1) {
    fail(INVALID, `pgpv4 proof is missing the ${PGP_END} line`, field);
  }
  return rest;
}

/** Writes a parsed proof back; `parseProof(formatProof(p))` equals `p`. */
export function formatProof(proof: ParsedProof): string {
  switch (proof.kind) {
    case 'eip712v2':
    case 'eip712v1':
    case 'eip712':
      if ('bare' in proof && proof.bare) return proof.signature;
      return `${proof.kind}:${proof.signature}${'uid' in proof && proof.uid !== undefined ? UID_MARK + proof.uid : ''}`;
    case 'eip155':
      return `eip155:${proof.chainId}:${proof.txHash}`;
    case 'thegraph':
      return `thegraph:${formatSubgraphRef(proof)}${proof.uid !== undefined ? UID_MARK + proof.uid : ''}`;
    case 'pgpv4':
      return `pgpv4:${proof.armored}`;
  }
}

/** The EIP-712 signature of proofs that carry one (eip712v2, eip712v1, eip712), else null. */
export function proofSignature(proof: ParsedProof): Hex | null {
  return proof.kind === 'eip712v2' || proof.kind === 'eip712v1' || proof.kind === 'eip712'
    ? proof.signature
    : null;
}
