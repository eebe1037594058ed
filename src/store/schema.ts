import type { Generated } from 'kysely';

/**
 * The node's tables. Conventions that hold for both SQLite and Postgres:
 * - addresses are lower-case `0x…` strings; channels are keyed by their core-chain address;
 * - booleans are integers 0/1; JSON is stored as text; times are integers (ms since epoch unless named `_block`);
 * - int8 columns come back as JS numbers (the Postgres driver is told to parse them; all values stay < 2^53).
 */
export interface InputsTable {
  id: Generated<number>;
  /** Idempotency key: `chain:<chainId>:<blockHash>:<logIndex>` for chain events, the verificationProof for signed requests. */
  key: string;
  kind: 'chain' | 'http' | 'peer';
  event: string;
  chain_id: number | null;
  block_number: number | null;
  block_hash: string | null;
  log_index: number | null;
  tx_hash: string | null;
  /** The verified input itself (decoded event args or request body), JSON. */
  body: string;
  /** Block timestamp (chain) or receipt time (http), ms. */
  ts: number;
  created_at: number;
  /** A chain SendNotification admission refused at its block: the refusal's code (migration 006). */
  refused: string | null;
  /** A chain opt-in or notification log: the channel it names, lower case (migration 009); else null. */
  channel: string | null;
}

export interface BlocksTable {
  chain_id: number;
  number: number;
  hash: string;
  parent_hash: string;
  timestamp: number;
}

export interface ChainCursorsTable {
  chain_id: number;
  /** Last block whose logs are fully applied. */
  block: number;
  updated_at: number;
}

/**
 * Undo log for unfinalised blocks: the image of a row before a chain input of `block_number` changed it.
 * Rolling back to block N replays the images of blocks > N in reverse id order, then drops them.
 * Entries of finalised blocks are pruned; finalised ranges are applied without journaling.
 */
export interface JournalTable {
  id: Generated<number>;
  chain_id: number;
  block_number: number;
  table_name: string;
  /** JSON object of the row's primary-key columns. */
  row_key: string;
  /** JSON of the whole row before the change, or null if the row did not exist. */
  old_row: string | null;
}

export interface ChannelsTable {
  channel: string;
  core_chain_id: number;
  channel_type: number;
  identity: string;
  ipfs_hash: string | null;
  name: string | null;
  info: string | null;
  url: string | null;
  icon: string | null;
  tags: string | null;
  /** 0 destroyed, 1 active, 2 deactivated, 3 blocked (terminal) — as the Core contract's channelState. */
  state: number;
  verified_by: string | null;
  settings_raw: string | null;
  settings_description: string | null;
  subgraph: string | null;
  metadata_status: 'pending' | 'ok' | 'failed';
  metadata_attempts: number;
  metadata_next_at: number;
  created_block: number;
  created_at: number;
  updated_at: number;
}

export interface AliasesTable {
  alias_chain_id: number;
  alias_address: string;
  channel: string;
  /** Declared by the channel (core-chain event or metadata). */
  declared: number;
  /** Confirmed by the alias address on its own chain. Usable only when declared and confirmed. */
  confirmed: number;
  declare_proof: string | null;
  confirm_proof: string | null;
  updated_at: number;
}

export interface DelegatesTable {
  chain_id: number;
  /** The channel address as emitted on that chain (the alias address on alias chains). */
  channel: string;
  delegate: string;
  added_at: number;
}

export interface SubscriptionsTable {
  /** Core-chain channel address. */
  channel: string;
  subscriber: string;
  subscribed: number;
  settings_raw: string | null;
  /** Time of the command that set this state (block time or receipt time, ms): last writer wins. */
  ts: number;
  /** Ties on `ts` are broken by this order key (chain:block:logIndex or the proof), so the outcome never depends on arrival order. */
  ts_order: string;
  proof: string;
  origin: string | null;
  chain_id: number | null;
}

export interface NotificationsTable {
  id: Generated<number>;
  input_key: string;
  channel: string;
  sender: string;
  delegate: string | null;
  chain_id: number;
  source: string;
  type: number;
  ts: number;
  identity: string;
  /** The `recipient` of the off-chain request as received (migration 004); null for chain-event notifications. */
  recipient: string | null;
  /** The feed payload JSON, once content is resolved. */
  payload: string | null;
  recipients: string | null;
  hidden: number;
  etime: number | null;
  status: 'admitted' | 'pending_content' | 'failed';
  created_at: number;
  /** `data.index` as sent (`<category>-<type>[-<value>]`), for the settings filter at read time. */
  idx: string | null;
  content_attempts: number;
  content_next_at: number;
  content_error: string | null;
}

/** The history of opt-in commands (every door), from which subscription periods are derived. */
export interface SubscriptionEventsTable {
  channel: string;
  subscriber: string;
  ts: number;
  ts_order: string;
  subscribed: number;
  settings_raw: string | null;
  proof: string;
  chain_id: number | null;
  /** The signed request's app origin (HTTP opt-ins); null for chain commands. */
  origin: string | null;
}

/**
 * One continuous opt-in: subscribed during [from_ts, to_ts), with these settings. An open period has
 * to_ts = OPEN_PERIOD_END (a number, not NULL, so the range test stays one indexable comparison).
 */
export interface SubscriptionPeriodsTable {
  channel: string;
  subscriber: string;
  from_ts: number;
  to_ts: number;
  settings_raw: string | null;
}

/** The largest JS Date (ms): "still subscribed". */
export const OPEN_PERIOD_END = 8_640_000_000_000_000;

export interface FeedEntriesTable {
  recipient: string;
  notification_id: number;
  box: 'inbox' | 'spam';
  ts: number;
}

/** Current subscribers per channel, kept by triggers on `subscriptions` (migration 008). */
export interface ChannelSubscriberCountsTable {
  channel: string;
  n: number;
}

export interface DB {
  inputs: InputsTable;
  blocks: BlocksTable;
  chain_cursors: ChainCursorsTable;
  journal: JournalTable;
  channels: ChannelsTable;
  aliases: AliasesTable;
  delegates: DelegatesTable;
  subscriptions: SubscriptionsTable;
  notifications: NotificationsTable;
  feed_entries: FeedEntriesTable;
  subscription_events: SubscriptionEventsTable;
  subscription_periods: SubscriptionPeriodsTable;
  channel_subscriber_counts: ChannelSubscriberCountsTable;
}

export type TableName = keyof DB;

/** Primary-key columns of every table the journal may touch. */
export const PRIMARY_KEYS = {
  channels: ['channel'],
  aliases: ['alias_chain_id', 'alias_address'],
  delegates: ['chain_id', 'channel', 'delegate'],
  subscriptions: ['channel', 'subscriber'],
  notifications: ['id'],
  feed_entries: ['recipient', 'notification_id'],
  inputs: ['id'],
  blocks: ['chain_id', 'number'],
  chain_cursors: ['chain_id'],
  journal: ['id'],
  subscription_events: ['channel', 'subscriber', 'ts', 'ts_order'],
  subscription_periods: ['channel', 'subscriber', 'from_ts'],
  channel_subscriber_counts: ['channel'],
} as const satisfies { [T in TableName]: readonly (keyof DB[T] & string)[] };
