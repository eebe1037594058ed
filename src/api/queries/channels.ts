import { type Kysely, type Selectable, sql } from 'kysely';
import {
  channelIconLink,
  type Eip155Account,
  parseChannelSettings,
  toChecksum,
} from '../../protocol/index.js';
import { UNICODE_LOWER, unicodeLower } from '../../store/database.js';
import type { DB } from '../../store/index.js';
import { isPostgres } from '../../store/repos/feed-probes.js';
import type { AliasesTable, ChannelsTable } from '../../store/schema.js';
import type { Page } from './pagination.js';

export type ChannelRow = Selectable<ChannelsTable>;
export type AliasRow = Selectable<AliasesTable>;

/** Channel states as the Core contract numbers them. */
export const CHANNEL_STATE = { DESTROYED: 0, ACTIVE: 1, DEACTIVATED: 2, BLOCKED: 3 } as const;

/**
 * The core-chain channel an account names: itself on the core chain (or without a chain id), the channel of a
 * usable alias (declared and confirmed) on an alias chain, else null.
 */
export async function resolveChannelAddress(
  db: Kysely<DB>,
  account: Eip155Account,
  coreChainId: number,
): Promise<string | null> {
  if (account.chainId === null || account.chainId === coreChainId) return account.address;
  const alias = await db
    .selectFrom('aliases')
    .select('channel')
    .where('alias_chain_id', '=', account.chainId)
    .where('alias_address', '=', account.address)
    .where('declared', '=', 1)
    .where('confirmed', '=', 1)
    .executeTakeFirst();
  return alias?.channel ?? null;
}

/** A channel row that is not destroyed (a destroyed time-bound channel is gone, as in the original). */
export async function findChannel(db: Kysely<DB>, channel: string): Promise<ChannelRow | null> {
  const row = await db
    .selectFrom('channels')
    .selectAll()
    .where('channel', '=', channel)
    .where('state', '!=', CHANNEL_STATE.DESTROYED)
    .executeTakeFirst();
  return row ?? null;
}

export async function countSubscribers(db: Kysely<DB>, channel: string): Promise<number> {
  const row = await db
    .selectFrom('channel_subscriber_counts')
    .select('n')
    .where('channel', '=', channel)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function aliasesOf(db: Kysely<DB>, channels: readonly string[]): Promise<AliasRow[]> {
  if (channels.length === 0) return [];
  return db
    .selectFrom('aliases')
    .selectAll()
    .where('channel', 'in', channels)
    .where('declared', '=', 1)
    .orderBy('alias_chain_id')
    .execute();
}

/** `like` pattern matching `text` anywhere, lower-cased as `lowerOf` lowers a column, its own wildcards escaped. */
export function containsPattern(text: string): string {
  return `%${unicodeLower(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A text column lower-cased, non-ASCII letters included: Postgres' `lower()`; on SQLite, whose `lower()` and `LIKE`
 * fold ASCII only (so "Élan" was not found even by its own name), the function `openDatabase` registers.
 */
function lowerOf(db: Kysely<DB>, column: 'name' | 'tags') {
  const fn = isPostgres(db) ? 'lower' : UNICODE_LOWER;
  return sql`${sql.raw(fn)}(coalesce(${sql.ref(`channels.${column}`)}, ''))`;
}

export interface ChannelListFilter {
  /** Case-insensitive substring of the name or address. */
  query?: string;
  /** Exact tag. */
  tag?: string;
  /**
   * Only channels reachable on this alias chain: with an alias there that is declared and confirmed (the same rule
   * `resolveChannelAddress` applies). Never the core chain, where every channel is.
   */
  aliasChainId?: number;
  /** Only channels this subscriber (lower-case `0x` address) is currently subscribed to. */
  subscriber?: string;
}

/** The list's direction (the SDK's `channel.list({order})`): verified status, then subscriber count. */
export type ChannelListOrder = 'asc' | 'desc';

/**
 * Active channels by verified status, then by subscriber count, both in `order` (the original's
 * `ORDER BY verified_status ${order}, subscriber_count ${order}`; default desc: verified and most subscribed first),
 * ties by address. The count is the one the database keeps (`channel_subscriber_counts`, migration 008).
 */
export async function listChannels(
  db: Kysely<DB>,
  page: Page,
  filter: ChannelListFilter = {},
  order: ChannelListOrder = 'desc',
): Promise<{ rows: (ChannelRow & { subscriber_count: number })[]; total: number }> {
  let base = db.selectFrom('channels').where('state', '=', CHANNEL_STATE.ACTIVE);
  if (filter.query) {
    const pattern = containsPattern(filter.query);
    base = base.where((eb) =>
      eb.or([
        eb(lowerOf(db, 'name'), 'like', sql`${pattern} escape '\\'`),
        eb(sql`channels.channel`, 'like', sql`${pattern} escape '\\'`),
      ]),
    );
  }
  if (filter.tag) {
    // Tags are stored as a JSON array of strings: match the quoted element.
    const pattern = containsPattern(JSON.stringify(filter.tag));
    base = base.where(lowerOf(db, 'tags'), 'like', sql`${pattern} escape '\\'`);
  }
  const { aliasChainId, subscriber } = filter;
  if (aliasChainId !== undefined) {
    base = base.where((eb) =>
      eb.exists(
        eb
          .selectFrom('aliases')
          .select(sql.lit(1).as('one'))
          .whereRef('aliases.channel', '=', 'channels.channel')
          .where('aliases.alias_chain_id', '=', aliasChainId)
          .where('aliases.declared', '=', 1)
          .where('aliases.confirmed', '=', 1),
      ),
    );
  }
  if (subscriber !== undefined) {
    base = base.where((eb) =>
      eb.exists(
        eb
          .selectFrom('subscriptions')
          .select(sql.lit(1).as('one'))
          .whereRef('subscriptions.channel', '=', 'channels.channel')
          .where('subscriptions.subscriber', '=', subscriber)
          .where('subscriptions.subscribed', '=', 1),
      ),
    );
  }
  const totalRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const rows = await base
    .leftJoin('channel_subscriber_counts as counts', 'counts.channel', 'channels.channel')
    .selectAll('channels')
    .select(sql<number>`coalesce(counts.n, 0)`.as('subscriber_count'))
    .orderBy(sql`case when channels.verified_by is null then 0 else 1 end`, order)
    .orderBy('subscriber_count', order)
    .orderBy('channels.channel')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return {
    rows: rows.map((r) => ({ ...r, subscriber_count: Number(r.subscriber_count ?? 0) })),
    total: Number(totalRow?.n ?? 0),
  };
}

/** Tags of a channel: stored as a JSON array by the metadata worker; a comma list is accepted too. */
export function parseTags(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) return parsed.filter((t): t is string => typeof t === 'string');
  } catch {
    // not JSON: fall through
  }
  return raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The expanded settings JSON as a STRING (the SDK `JSON.parse`s it; an object breaks `channel.send`), or null. */
export function channelSettingsJson(
  row: Pick<ChannelRow, 'settings_raw' | 'settings_description'>,
): string | null {
  if (!row.settings_raw) return null;
  try {
    const settings = parseChannelSettings(row.settings_raw, row.settings_description ?? '');
    return settings.length ? JSON.stringify(settings) : null;
  } catch {
    // Chain data we cannot read is shown as "no settings" rather than failing the whole record.
    return null;
  }
}

export interface ChannelView {
  /** Base URL for icon links (`<publicUrl>/apis/v1/channels/icon/<address>`). */
  publicUrl: string;
}

/** Data-URI icons are served by the icon route; listing them inline made the original's pages megabytes. */
export function iconUrl(row: Pick<ChannelRow, 'channel' | 'icon'>, view: ChannelView): string | null {
  return channelIconLink(view.publicUrl, row.channel, row.icon);
}

/** The channel record in the original node's shape (SDK contract §2.4); addresses plain and checksummed. */
export function formatChannel(
  row: ChannelRow,
  extra: { subscriberCount: number; aliases: readonly AliasRow[] },
  view: ChannelView,
): Record<string, unknown> {
  const aliases = extra.aliases
    .filter((a) => a.channel === row.channel)
    .map((a) => ({
      alias_address: toChecksum(a.alias_address),
      alias_blockchain_id: String(a.alias_chain_id),
      is_alias_verified: a.declared === 1 && a.confirmed === 1 ? 1 : 0,
      alias_verification_event: a.confirm_proof,
      initiate_verification_proof: a.declare_proof,
      verify_verification_proof: a.confirm_proof,
    }));
  const first = aliases[0];
  return {
    channel: toChecksum(row.channel),
    ipfshash: row.ipfs_hash,
    name: row.name,
    info: row.info,
    url: row.url,
    icon: iconUrl(row, view),
    processed: row.metadata_status === 'ok' ? 1 : 0,
    attempts: row.metadata_attempts,
    alias_address: first?.alias_address ?? null,
    alias_verification_event: first?.alias_verification_event ?? null,
    is_alias_verified: first?.is_alias_verified ?? 0,
    alias_blockchain_id: first?.alias_blockchain_id ?? null,
    initiate_verification_proof: first?.initiate_verification_proof ?? null,
    verify_verification_proof: first?.verify_verification_proof ?? null,
    activation_status: row.state === CHANNEL_STATE.ACTIVE ? 1 : 0,
    verified_status: row.verified_by ? 1 : 0,
    verified_by: row.verified_by ? toChecksum(row.verified_by) : null,
    blocked: row.state === CHANNEL_STATE.BLOCKED ? 1 : 0,
    channel_type: row.channel_type,
    timestamp: new Date(row.created_at).toISOString(),
    counter: null,
    subgraph_details: row.subgraph,
    channel_settings: channelSettingsJson(row),
    minimal_channel_settings: row.settings_raw || null,
    subscriber_count: extra.subscriberCount,
    aliases,
    tags: parseTags(row.tags),
  };
}
