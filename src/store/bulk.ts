import { CompiledQuery, sql } from 'kysely';
import type { TableName } from './schema.js';
import type { Executor } from './writer.js';

/**
 * Multi-row inserts for the write-heavy paths (chain backfill), without Kysely's query builder: building and compiling
 * the AST of a 500-row insert costs more than SQLite takes to run it. The SQL text is made once per shape and cached;
 * only the parameters change between calls. Identifiers come from the caller's code, never from input.
 */

/** Rows per statement: under SQLite's 32,766 bound parameters and Postgres' 65,535 for any of our tables. */
const MAX_ROWS = 500;
const MAX_PARAMS = 30_000;

/** Longest `IN (…)` list a lookup sends at once: well under either database's parameter limit. */
export const IN_LIST_MAX = 500;

/** `items` in consecutive slices of at most `size`, for statements with bounded parameter lists. */
export function chunks<T>(items: readonly T[], size = IN_LIST_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `rows` sorted by their first `keyColumns` values (numbers by value, anything else as text). Rows inserted in the
 * order of a B-tree's key touch each page once per statement instead of once per row: for opt-ins keyed by random
 * addresses this made SQLite's inserts 3–4× cheaper (and Postgres's index inserts more local). Only the order
 * changes, so callers must not rely on statement order among rows of one key (each caller's keys are unique).
 */
export function inKeyOrder<R extends readonly unknown[]>(rows: R[], keyColumns: number): R[] {
  return rows.sort((a, b) => {
    for (let i = 0; i < keyColumns; i++) {
      const x = a[i];
      const y = b[i];
      if (x === y) continue;
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      return String(x) < String(y) ? -1 : 1;
    }
    return 0;
  });
}

const shapes = new Map<string, string>();

type Placeholders = 'question' | 'dollar';

function placeholderStyle(exec: Executor): Placeholders {
  return sql`${0}`.compile(exec).sql === '?' ? 'question' : 'dollar';
}

function statement(
  style: Placeholders,
  table: TableName,
  columns: readonly string[],
  rows: number,
  conflict: string,
): string {
  const key = `${style}|${table}|${columns.join(',')}|${rows}|${conflict}`;
  let text = shapes.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const ps = columns.map(() => (style === 'question' ? '?' : `$${++n}`));
      tuples.push(`(${ps.join(',')})`);
    }
    text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(',')}) values ${tuples.join(',')}${conflict ? ` ${conflict}` : ''}`;
    // A handful of shapes per table (full chunks plus the last partial one); bound the cache all the same.
    if (shapes.size > 2_000) shapes.clear();
    shapes.set(key, text);
  }
  return text;
}

/**
 * Inserts `rows` (each an array of values in `columns` order) in as few statements as the parameter limits allow.
 * `conflict` is an `on conflict …` clause (the same syntax on SQLite and Postgres), or '' for none.
 * Returns the number of rows the database reports as written.
 */
export async function insertRows(
  exec: Executor,
  table: TableName,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  conflict = '',
): Promise<number> {
  if (rows.length === 0) return 0;
  const style = placeholderStyle(exec);
  const per = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / columns.length)));
  let written = 0;
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    const params: unknown[] = [];
    for (const row of part) for (const v of row) params.push(v);
    const res = await exec.executeQuery(
      CompiledQuery.raw(statement(style, table, columns, part.length, conflict), params),
    );
    written += Number(res.numAffectedRows ?? 0);
  }
  return written;
}
