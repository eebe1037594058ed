/**
 * Notification and channel identities: `<storageType>+<pointer>`, split on the FIRST `+` (contracts §5.1,
 * reference §4.3). The identity is the exact string that was signed or emitted on-chain; callers keep the raw
 * string for verification and use the parsed form only to resolve the payload.
 *
 *   0+<type>+<title>+<body>          minimal
 *   1+<cid>                          IPFS (CIDv0 `Qm…` or CIDv1 base32 `b…`)
 *   2+<payload JSON>                 inline payload, kept byte for byte
 *   3+graph:<subgraphId>+<counter>   subgraph notification
 *   4+…                              chat-internal: not served by this node
 *
 * Minimal identities — the rule, so that every string the SDK and contracts produce parses, and titles and bodies
 * containing `+` round-trip through `formatIdentity` → `parseIdentity`:
 *   - `<type>` is exactly one digit (1, 3 or 4); the character after it must be `+`.
 *   - title = the text between that `+` and the next `+`; body = everything after it (bodies may contain `+`).
 *   - In the title, `%2B` (either case) decodes to `+` and `%25` to `%`; every other `%` is literal. The writer
 *     escapes `+` as `%2B`, and escapes a `%` only where it would otherwise be read as the start of one of those two
 *     escapes. So plain titles (including ones with a lone `%`) are written unchanged, and the only SDK titles read
 *     differently than they were written are those containing the literal text `%2B` or `%25`.
 * The original node split every `+`, so it cut bodies at their first `+` and could not carry `+` in titles.
 */
import { CID } from 'multiformats/cid';
import { type NotificationType, parseNotificationType } from './notification-type.js';
import { formatSubgraphRef, parseSubgraphRef } from './subgraph.js';
import { fail, isPlainObject, quote } from './text.js';

export const IDENTITY_TYPE = { MINIMAL: 0, IPFS: 1, DIRECT_PAYLOAD: 2, SUBGRAPH: 3 } as const;

export interface MinimalIdentity {
  storageType: 0;
  notificationType: NotificationType;
  title: string;
  body: string;
}

export interface IpfsIdentity {
  storageType: 1;
  cid: string;
  cidVersion: 0 | 1;
}

export interface DirectPayloadIdentity {
  storageType: 2;
  /** The JSON text exactly as received (what was signed / what the CID-less store keeps). */
  json: string;
  /** `JSON.parse(json)`; shape not yet validated (see `parseNotificationPayload`). */
  payload: Record<string, unknown>;
}

export interface SubgraphIdentity {
  storageType: 3;
  subgraphId: string;
  counter: number;
}

export type ParsedIdentity = MinimalIdentity | IpfsIdentity | DirectPayloadIdentity | SubgraphIdentity;

export interface ChannelIdentity {
  cid: string;
  cidVersion: 0 | 1;
}

const INVALID = 'PUSH_ERR_INVALID_IDENTITY';
const UNSUPPORTED = 'PUSH_ERR_UNSUPPORTED_IDENTITY';
const GRAPH_PREFIX = 'graph:';

function splitStorageType(input: unknown, field: string): { storageType: number; pointer: string } {
  if (typeof input !== 'string') fail(INVALID, `identity must be a string, got ${quote(input)}`, field);
  if (input === '') fail(INVALID, 'identity is empty', field);
  const plus = input.indexOf('+');
  if (plus === -1) fail(INVALID, `identity must be <storageType>+<pointer>, got ${quote(input)}`, field);
  const head = input.slice(0, plus);
  if (!/^(0|[1-9][0-9]{0,5})$/.test(head)) {
    fail(INVALID, `identity storage type must be a number, got ${quote(head)}`, field);
  }
  return { storageType: Number(head), pointer: input.slice(plus + 1) };
}

/** Parses a notification identity. Throws `PUSH_ERR_INVALID_IDENTITY` / `PUSH_ERR_UNSUPPORTED_IDENTITY`. */
export function parseIdentity(input: unknown, field = 'identity'): ParsedIdentity {
  const { storageType, pointer } = splitStorageType(input, field);
  switch (storageType) {
    case 0:
      return parseMinimal(pointer, field);
    case 1:
      return { storageType: 1, ...parseCid(pointer, field) };
    case 2:
      return parseDirect(pointer, field);
    case 3:
      return parseSubgraph(pointer, field);
    case 4:
      return fail(UNSUPPORTED, 'identity storage type 4 is chat-internal and not served by this node', field);
    default:
      fail(
        UNSUPPORTED,
        `identity storage type ${storageType} is not supported (0 minimal, 1 IPFS, 2 inline, 3 subgraph)`,
        field,
      );
  }
}

function parseMinimal(pointer: string, field: string): MinimalIdentity {
  if (pointer.length < 2 || pointer[1] !== '+' || !/^[0-9]$/.test(pointer[0] as string)) {
    fail(
      INVALID,
      `minimal identity must be 0+<type>+<title>+<body> with a one-digit type, got ${quote(`0+${pointer}`)}`,
      field,
    );
  }
  const notificationType = parseNotificationType(pointer[0], field);
  const rest = pointer.slice(2);
  const plus = rest.indexOf('+');
  if (plus === -1) {
    fail(
      INVALID,
      `minimal identity is missing the + between title and body: ${quote(`0+${pointer}`)}`,
      field,
    );
  }
  return {
    storageType: 0,
    notificationType,
    title: decodeTitle(rest.slice(0, plus)),
    body: rest.slice(plus + 1),
  };
}

function decodeTitle(raw: string): string {
  return raw.replace(/%(2[Bb]|25)/g, (_m, code: string) => (code === '25' ? '%' : '+'));
}

function encodeTitle(title: string): string {
  // `%` first, so the `%2B` produced for `+` is not escaped again.
  return title.replace(/%(?=2[Bb]|25)/g, '%25').replace(/\+/g, '%2B');
}

function parseCid(pointer: string, field: string): ChannelIdentity {
  let cid: CID;
  try {
    cid = CID.parse(pointer);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    fail(INVALID, `IPFS identity is not a valid CID (${reason}): ${quote(pointer)}`, field);
  }
  // Only the canonical spellings: CIDv0 base58btc, CIDv1 lower-case base32. Anything else would make one content
  // addressable under two identity strings.
  if (cid.toString() !== pointer) {
    fail(
      INVALID,
      `IPFS identity must be a CIDv0 (Qm…) or a base32 CIDv1 (b…), got ${quote(pointer)}`,
      field,
      `use ${cid.toString()}`,
    );
  }
  return { cid: pointer, cidVersion: cid.version };
}

function parseDirect(pointer: string, field: string): DirectPayloadIdentity {
  let payload: unknown;
  try {
    payload = JSON.parse(pointer);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    fail(INVALID, `inline identity is not valid JSON (${reason})`, field);
  }
  if (!isPlainObject(payload)) fail(INVALID, 'inline identity JSON must be an object', field);
  return { storageType: 2, json: pointer, payload };
}

function parseSubgraph(pointer: string, field: string): SubgraphIdentity {
  if (!pointer.startsWith(GRAPH_PREFIX)) {
    fail(
      INVALID,
      `subgraph identity must be 3+graph:<subgraphId>+<counter>, got ${quote(`3+${pointer}`)}`,
      field,
    );
  }
  const ref = parseSubgraphRef(pointer.slice(GRAPH_PREFIX.length), INVALID, 'subgraph identity', field);
  return { storageType: 3, ...ref };
}

/** Writes an identity; `parseIdentity(formatIdentity(x))` equals `x`. */
export function formatIdentity(identity: ParsedIdentity): string {
  switch (identity.storageType) {
    case 0:
      parseNotificationType(identity.notificationType);
      return `0+${identity.notificationType}+${encodeTitle(identity.title)}+${identity.body}`;
    case 1:
      return `1+${identity.cid}`;
    case 2:
      return `2+${identity.json}`;
    case 3:
      return `3+${GRAPH_PREFIX}${formatSubgraphRef(identity)}`;
  }
}

/**
 * Pre-NPIP on-chain identities were `<notificationType>+<ipfsHash>`; below a chain's NPIP block they mean IPFS
 * storage, so they are rewritten to `1+<ipfsHash>` (the real type is in the IPFS payload). `npipBlock` null means
 * the chain never had the legacy form. The result still needs `parseIdentity`.
 */
export function rewriteLegacyIdentity(
  identity: string,
  blockNumber: number | bigint,
  npipBlock: number | bigint | null | undefined,
): string {
  if (npipBlock === null || npipBlock === undefined || BigInt(blockNumber) >= BigInt(npipBlock))
    return identity;
  const plus = identity.indexOf('+');
  if (plus === -1)
    fail(INVALID, `legacy identity must be <type>+<ipfsHash>, got ${quote(identity)}`, 'identity');
  const rest = identity.slice(plus + 1);
  const next = rest.indexOf('+');
  return `1+${next === -1 ? rest : rest.slice(0, next)}`;
}

/** Channel identities (AddChannel/UpdateChannel) are always `1+<cid>` pointing at the channel metadata JSON. */
export function parseChannelIdentity(input: unknown, field = 'identity'): ChannelIdentity {
  const { storageType, pointer } = splitStorageType(input, field);
  if (storageType !== 1) {
    fail(UNSUPPORTED, `channel identity must be 1+<cid> (IPFS), got storage type ${storageType}`, field);
  }
  return parseCid(pointer, field);
}

export function formatChannelIdentity(identity: ChannelIdentity): string {
  return `1+${identity.cid}`;
}
