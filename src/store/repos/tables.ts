import type { Kysely, Transaction } from 'kysely';
import type { DB, NotificationsTable } from '../schema.js';
import type { WriteOrigin } from '../writer.js';

/**
 * Tables and columns added by migration 002 (admission). They live here, beside the queries that use them, so the
 * shared schema file stays the foundation's; `AdmissionDB` is the full view.
 */
export interface SubscriptionEventsTable {
  channel: string;
  subscriber: string;
  ts: number;
  ts_order: string;
  subscribed: number;
  settings_raw: string | null;
  proof: string;
  chain_id: number | null;
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

export interface AdmissionNotificationsTable extends NotificationsTable {
  /** `data.index` as sent (`<category>-<type>[-<value>]`), for the settings filter at read time. */
  idx: string | null;
  content_attempts: number;
  content_next_at: number;
  content_error: string | null;
}

export interface AdmissionDB extends Omit<DB, 'notifications'> {
  notifications: AdmissionNotificationsTable;
  subscription_events: SubscriptionEventsTable;
  subscription_periods: SubscriptionPeriodsTable;
}

/** The largest JS Date (ms): "still subscribed". */
export const OPEN_PERIOD_END = 8_640_000_000_000_000;

export type AdmissionExecutor = Kysely<AdmissionDB> | Transaction<AdmissionDB>;

/** The same database seen with the admission tables. */
export function admissionDb(db: Kysely<DB> | Transaction<DB>): AdmissionExecutor {
  return db as unknown as AdmissionExecutor;
}

/**
 * Saves a row's previous image in the undo journal, in the format `rollbackJournal` replays (table name, key
 * columns, old row or null). The shared writer only knows the foundation's tables; this covers ours.
 */
export async function journalRow(
  exec: AdmissionExecutor,
  origin: WriteOrigin | null,
  table: keyof AdmissionDB & string,
  key: Record<string, unknown>,
  oldRow: Record<string, unknown> | null,
): Promise<void> {
  if (!origin?.journal) return;
  await exec
    .insertInto('journal')
    .values({
      chain_id: origin.chainId,
      block_number: origin.blockNumber,
      table_name: table,
      row_key: JSON.stringify(key),
      old_row: oldRow ? JSON.stringify(oldRow) : null,
    })
    .execute();
}
