/**
 * Channel metadata: the JSON a channel identity `1+<cid>` points to (contracts.md §5.2, reference §7.2).
 *
 *   { name, info, url, icon, aliasDetails?: { "eip155:<chainId>": "0x…" }, tags?: string[] }
 *   legacy alias form (older channels): top-level blockchain, chain_id, address
 *
 * The metadata is written by the channel owner and served to every wallet, so the parser is strict about what can
 * hurt a reader (script URLs, unbounded sizes, NUL characters Postgres cannot store) and lenient about what older
 * channels commonly left empty (info, url, an alias entry with an empty address).
 */
import type { Address } from 'viem';
import { parseFixedHex } from '../protocol/hex.js';
import { fail, isPlainObject, own, parseCanonicalUint, quote } from '../protocol/text.js';

const CODE = 'PUSH_ERR_INVALID_PAYLOAD';

/** Upper bounds, in code points (icon: characters). The original node stored name in 128 and info in 255 chars. */
export const CHANNEL_METADATA_LIMITS = {
  name: 128,
  info: 2048,
  url: 2048,
  /** A data URI of about 768 KiB of image; channel icons are small PNGs in practice. */
  icon: 1_048_576,
  iconUrl: 2048,
  tags: 5,
  /** Tags joined with `,`. */
  tagsJoined: 512,
  aliases: 32,
} as const;

export interface ChannelAliasRef {
  chainId: number;
  /** Lower-case. */
  address: Address;
}

export interface ParsedChannelMetadata {
  name: string;
  info: string;
  /** The channel's website: empty, or a string without a scheme other than http(s). */
  url: string;
  /** A base64 image data URI (see `decodeDataUri`) or an https URL. */
  icon: string;
  /** Declared aliases in the order given, from `aliasDetails`, or from the legacy fields when it is absent. */
  aliases: ChannelAliasRef[];
  tags: string[];
}

/**
 * Parses metadata JSON (text, UTF-8 bytes or an already parsed value). Throws `PUSH_ERR_INVALID_PAYLOAD` naming the
 * field at fault (`metadata.<key>`). Unknown keys are ignored.
 */
export function parseChannelMetadata(json: unknown, field = 'metadata'): ParsedChannelMetadata {
  const value = toValue(json, field);
  if (!isPlainObject(value)) fail(CODE, 'channel metadata must be a JSON object', field);

  const name = text(value, 'name', field, { required: true, max: CHANNEL_METADATA_LIMITS.name });
  const info = text(value, 'info', field, { required: false, max: CHANNEL_METADATA_LIMITS.info });
  const url = websiteUrl(
    text(value, 'url', field, { required: false, max: CHANNEL_METADATA_LIMITS.url }),
    field,
  );
  const icon = parseIcon(own(value, 'icon'), `${field}.icon`);
  const aliases =
    own(value, 'aliasDetails') === undefined || own(value, 'aliasDetails') === null
      ? legacyAlias(value, field)
      : aliasDetails(own(value, 'aliasDetails'), `${field}.aliasDetails`);
  const tags = parseTags(own(value, 'tags'), `${field}.tags`);
  return { name, info, url, icon, aliases, tags };
}

function toValue(json: unknown, field: string): unknown {
  let source = json;
  if (source instanceof Uint8Array) {
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      fail(CODE, 'channel metadata is not UTF-8 text', field);
    }
  }
  if (typeof source !== 'string') return source;
  try {
    return JSON.parse(source) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    fail(CODE, `channel metadata is not JSON (${why})`, field);
  }
}

function text(
  obj: Record<string, unknown>,
  key: string,
  parent: string,
  rule: { required: boolean; max: number },
): string {
  const field = `${parent}.${key}`;
  const raw = own(obj, key);
  if (raw === undefined || raw === null) {
    if (rule.required) fail(CODE, `channel metadata ${key} is required`, field);
    return '';
  }
  if (typeof raw !== 'string')
    fail(CODE, `channel metadata ${key} must be a string, got ${quote(raw)}`, field);
  const value = raw.trim();
  if (rule.required && value === '') fail(CODE, `channel metadata ${key} is empty`, field);
  noNul(value, key, field);
  const length = codePoints(value);
  if (length > rule.max) {
    fail(CODE, `channel metadata ${key} is too long (${length} characters, at most ${rule.max})`, field);
  }
  return value;
}

// Postgres text cannot hold U+0000, and no legitimate name or description contains it.
function noNul(value: string, key: string, field: string): void {
  if (value.includes('\u0000')) fail(CODE, `channel metadata ${key} contains a NUL character`, field);
}

function codePoints(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * Frontends render the website as a link: a `javascript:` or `data:` URL there would run in the reader's wallet.
 * Scheme-less values (`www.example.org`, common in older channels) are kept as they are.
 */
function websiteUrl(value: string, parent: string): string {
  const field = `${parent}.url`;
  if (value === '') return value;
  if (hasSpaceOrControl(value)) fail(CODE, 'channel url contains whitespace or control characters', field);
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(value);
  // `example.org:8080/x` and `localhost:3000` are a host and port, not a scheme.
  if (!match || match[1]!.includes('.') || /^[0-9]+(\/|$)/.test(match[2]!)) return value;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    fail(CODE, `channel url must be an http(s) URL, got scheme ${quote(scheme)}`, field);
  }
  if (!URL.canParse(value)) fail(CODE, `channel url is not a valid URL: ${quote(value)}`, field);
  return value;
}

function hasSpaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || /\s/.test(value[i]!)) return true;
  }
  return false;
}

function parseIcon(raw: unknown, field: string): string {
  if (raw === undefined || raw === null || raw === '') fail(CODE, 'channel metadata icon is required', field);
  if (typeof raw !== 'string') fail(CODE, `channel metadata icon must be a string, got ${quote(raw)}`, field);
  if (/^data:/i.test(raw)) {
    if (raw.length > CHANNEL_METADATA_LIMITS.icon) {
      fail(
        CODE,
        `channel icon data URI is too large (${raw.length} characters, at most ${CHANNEL_METADATA_LIMITS.icon})`,
        field,
      );
    }
    decodeDataUri(raw, field);
    return raw;
  }
  if (raw.length > CHANNEL_METADATA_LIMITS.iconUrl) {
    fail(CODE, `channel icon URL is too long (${raw.length} characters)`, field);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(CODE, `channel icon must be a data:image/…;base64 URI or an https URL, got ${quote(raw)}`, field);
  }
  if (url.protocol !== 'https:') {
    fail(CODE, `channel icon URL must be https, got ${quote(url.protocol.slice(0, -1))}`, field);
  }
  return raw;
}

const ICON_TYPES: Readonly<Record<string, DataUriMime>> = {
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  // Not a registered type, but what some encoders write for JPEG.
  'image/jpg': 'image/jpeg',
  'image/svg+xml': 'image/svg+xml',
};

export type DataUriMime = 'image/png' | 'image/jpeg' | 'image/svg+xml';

export interface DecodedDataUri {
  mime: DataUriMime;
  bytes: Uint8Array;
}

/**
 * Decodes a base64 image data URI (`data:image/png|jpeg|svg+xml[;param=value]*;base64,<data>`) for serving the
 * icon. Throws `PUSH_ERR_INVALID_PAYLOAD`. SVG can carry script: whoever serves these bytes must send
 * `Content-Security-Policy: default-src 'none'` and `X-Content-Type-Options: nosniff` with them.
 */
export function decodeDataUri(uri: string, field = 'icon'): DecodedDataUri {
  if (typeof uri !== 'string' || !/^data:/i.test(uri)) fail(CODE, 'not a data: URI', field);
  const comma = uri.indexOf(',');
  if (comma === -1) fail(CODE, 'data URI has no "," before its data', field);
  const params = uri.slice('data:'.length, comma).split(';');
  const mediaType = (params[0] ?? '').trim().toLowerCase();
  const mime = ICON_TYPES[mediaType];
  if (!mime) {
    fail(
      CODE,
      `data URI type must be image/png, image/jpeg or image/svg+xml, got ${quote(mediaType)}`,
      field,
    );
  }
  if (params[params.length - 1]?.toLowerCase() !== 'base64')
    fail(CODE, 'data URI must be base64-encoded', field);
  const data = uri.slice(comma + 1);
  // Strict alphabet; padding optional. Buffer.from would silently skip anything else.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1) {
    fail(CODE, 'data URI payload is not valid base64', field);
  }
  const bytes = new Uint8Array(Buffer.from(data, 'base64'));
  if (bytes.byteLength === 0) fail(CODE, 'data URI holds no data', field);
  return { mime, bytes };
}

function aliasDetails(raw: unknown, field: string): ChannelAliasRef[] {
  if (!isPlainObject(raw))
    fail(CODE, 'aliasDetails must be an object of "eip155:<chainId>": "0x<address>"', field);
  const entries = Object.entries(raw);
  if (entries.length > CHANNEL_METADATA_LIMITS.aliases) {
    fail(CODE, `aliasDetails has too many entries (${entries.length})`, field);
  }
  const aliases: ChannelAliasRef[] = [];
  for (const [key, value] of entries) {
    const at = `${field}.${key}`;
    const match = /^eip155:(.+)$/.exec(key);
    const chainId = match ? parseCanonicalUint(match[1]!) : null;
    if (chainId === null || chainId === 0) {
      fail(CODE, `aliasDetails key must be eip155:<chainId>, got ${quote(key)}`, at);
    }
    // An empty address is how some frontends wrote "no alias on this chain".
    if (value === '' || value === null) continue;
    if (typeof value !== 'string') fail(CODE, `alias address must be a string, got ${quote(value)}`, at);
    aliases.push({ chainId, address: parseAlias(value.trim(), at) });
  }
  return aliases;
}

function legacyAlias(obj: Record<string, unknown>, parent: string): ChannelAliasRef[] {
  const chainRaw = own(obj, 'chain_id');
  const addressRaw = own(obj, 'address');
  const empty = (v: unknown) => v === undefined || v === null || v === '' || v === 0 || v === '0';
  // Non-alias channels of that era carry the keys with empty values.
  if (empty(chainRaw) || empty(addressRaw)) return [];
  const chainText = typeof chainRaw === 'number' ? String(chainRaw) : chainRaw;
  const chainId = typeof chainText === 'string' ? parseCanonicalUint(chainText.trim()) : null;
  if (chainId === null) {
    fail(CODE, `legacy alias chain_id must be a chain id, got ${quote(chainRaw)}`, `${parent}.chain_id`);
  }
  if (typeof addressRaw !== 'string') {
    fail(CODE, `legacy alias address must be a string, got ${quote(addressRaw)}`, `${parent}.address`);
  }
  return [{ chainId, address: parseAlias(addressRaw.trim(), `${parent}.address`) }];
}

function parseAlias(value: string, field: string): Address {
  // Some writers used the CAIP form for the value too.
  const address = value.startsWith('eip155:') ? value.slice(value.lastIndexOf(':') + 1) : value;
  return parseFixedHex(address, 20, 'alias address', CODE, field);
}

function parseTags(raw: unknown, field: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(CODE, `tags must be an array of strings, got ${quote(raw)}`, field);
  const tags: string[] = [];
  for (const [i, tag] of raw.entries()) {
    if (typeof tag !== 'string')
      fail(CODE, `tags[${i}] must be a string, got ${quote(tag)}`, `${field}[${i}]`);
    const value = tag.trim();
    noNul(value, `tags[${i}]`, `${field}[${i}]`);
    if (value !== '' && !tags.includes(value)) tags.push(value);
    // Counted as they come: `includes` over an unbounded list made a few MiB of distinct tags quadratic.
    if (tags.length > CHANNEL_METADATA_LIMITS.tags) {
      fail(CODE, `at most ${CHANNEL_METADATA_LIMITS.tags} tags, got more`, field);
    }
  }
  // Measured as the SDK measures before it signs (tags.join('')): what it accepts must not be refused here.
  const joined = codePoints(tags.join(''));
  if (joined > CHANNEL_METADATA_LIMITS.tagsJoined) {
    fail(
      CODE,
      `tags are too long together (${joined} characters, at most ${CHANNEL_METADATA_LIMITS.tagsJoined})`,
      field,
    );
  }
  return tags;
}
