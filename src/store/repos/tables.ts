import type { TableName } from '../schema.js';
import type { Executor, WriteOrigin } from '../writer.js';

/**
 * Saves a row's previous image in the undo journal, in the format `rollbackJournal` replays (table name, key
 * columns, old row or null), for writes that do not go through a `Writer`.
 */
export async function journalRow(
  exec: Executor,
  origin: WriteOrigin | null,
  table: TableName,
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
