import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { type DB, PRIMARY_KEYS } from './schema.js';

export type Executor = Kysely<DB> | Transaction<DB>;

/** Tables whose rows are projections of chain inputs and so may need undoing on a reorg. */
export type ProjectedTable =
  | 'channels'
  | 'aliases'
  | 'delegates'
  | 'subscriptions'
  | 'notifications'
  | 'feed_entries';

/** The primary-key columns of a row, e.g. `{channel, subscriber}` for subscriptions. */
export type Key = Record<string, string | number>;

/** Where a write comes from: a chain block that may still be reorged away (journal it), or something final. */
export interface WriteOrigin {
  chainId: number;
  blockNumber: number;
  /** True when the block is above the finalised height: the write is recorded in the undo journal. */
  journal: boolean;
}

// The writer works on any projected table by name; Kysely's typed builders cannot express that generically.
// biome-ignore lint/suspicious/noExplicitAny: dynamic table access is confined to this file
type Loose = Kysely<any>;

type Filterable = { where(col: string, op: '=', val: unknown): Filterable };

function whereKey<Q>(q: Q, key: Record<string, unknown>): Q {
  let out = q as unknown as Filterable;
  for (const [col, val] of Object.entries(key)) out = out.where(col, '=', val);
  return out as unknown as Q;
}

function keyOf(table: ProjectedTable, row: Record<string, unknown>): Record<string, unknown> {
  const key: Record<string, unknown> = {};
  for (const col of PRIMARY_KEYS[table]) key[col] = row[col];
  return key;
}

/**
 * Every change to a projection goes through a writer. When the origin is an unfinalised block the writer first saves
 * the row's previous image in `journal`, so `rollbackJournal` can restore the exact state before that block.
 */
export function createWriter(exec: Executor, origin: WriteOrigin | null) {
  const loose = exec as unknown as Loose;

  async function remember(table: ProjectedTable, key: Record<string, unknown>): Promise<void> {
    if (!origin?.journal) return;
    const old = await whereKey(loose.selectFrom(table as string).selectAll(), key).executeTakeFirst();
    await loose
      .insertInto('journal')
      .values({
        chain_id: origin.chainId,
        block_number: origin.blockNumber,
        table_name: table,
        row_key: JSON.stringify(key),
        old_row: old ? JSON.stringify(old) : null,
      })
      .execute();
  }

  return {
    origin,
    db: exec,

    async get<T extends ProjectedTable>(table: T, key: Key): Promise<Selectable<DB[T]> | undefined> {
      return (await whereKey(loose.selectFrom(table as string).selectAll(), key).executeTakeFirst()) as
        | Selectable<DB[T]>
        | undefined;
    },

    /** Inserts or replaces the whole row identified by its primary key. */
    async put<T extends ProjectedTable>(table: T, row: Insertable<DB[T]>): Promise<void> {
      const r = row as Record<string, unknown>;
      const key = keyOf(table, r);
      await remember(table, key);
      const cols = Object.keys(r).filter((c) => !(c in key));
      await loose
        .insertInto(table)
        .values(r)
        .onConflict((oc) => {
          const target = oc.columns(Object.keys(key));
          return cols.length === 0
            ? target.doNothing()
            : target.doUpdateSet(Object.fromEntries(cols.map((c) => [c, r[c]])) as never);
        })
        .execute();
    },

    /** Inserts a row with a generated id (notifications); journaled as "did not exist". */
    async insertReturningId<T extends 'notifications'>(table: T, row: Insertable<DB[T]>): Promise<number> {
      const res = await loose
        .insertInto(table as string)
        .values(row)
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number((res as { id: number }).id);
      if (origin?.journal) {
        await loose
          .insertInto('journal')
          .values({
            chain_id: origin.chainId,
            block_number: origin.blockNumber,
            table_name: table,
            row_key: JSON.stringify({ id }),
            old_row: null,
          })
          .execute();
      }
      return id;
    },

    async update<T extends ProjectedTable>(
      table: T,
      key: Key,
      patch: Partial<Insertable<DB[T]>>,
    ): Promise<void> {
      await remember(table, key);
      await whereKey(loose.updateTable(table as string).set(patch as never), key).execute();
    },

    async remove<T extends ProjectedTable>(table: T, key: Key): Promise<void> {
      await remember(table, key);
      await whereKey(loose.deleteFrom(table as string), key).execute();
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;

/** A row a rollback restored (or removed): its table and primary key. */
export interface UndoneRow {
  table: string;
  key: Record<string, unknown>;
}

/**
 * Restores every row changed by blocks above `toBlock` on this chain, newest change first, then drops those entries.
 * Returns the rows it touched (one per undo entry), for whoever keeps state derived from them outside the store.
 */
export async function rollbackJournal(
  exec: Executor,
  chainId: number,
  toBlock: number,
): Promise<UndoneRow[]> {
  const loose = exec as unknown as Loose;
  const entries = await exec
    .selectFrom('journal')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('block_number', '>', toBlock)
    .orderBy('id', 'desc')
    .execute();
  const undone: UndoneRow[] = [];
  for (const e of entries) {
    const key = JSON.parse(e.row_key) as Record<string, unknown>;
    await whereKey(loose.deleteFrom(e.table_name), key).execute();
    if (e.old_row !== null) await loose.insertInto(e.table_name).values(JSON.parse(e.old_row)).execute();
    undone.push({ table: e.table_name, key });
  }
  await exec
    .deleteFrom('journal')
    .where('chain_id', '=', chainId)
    .where('block_number', '>', toBlock)
    .execute();
  return undone;
}

/** Drops undo entries of blocks that can no longer be reorged away. */
export async function pruneJournal(exec: Executor, chainId: number, finalizedBlock: number): Promise<void> {
  await exec
    .deleteFrom('journal')
    .where('chain_id', '=', chainId)
    .where('block_number', '<=', finalizedBlock)
    .execute();
}
