import pg from 'pg';

/**
 * Postgres statements that begin with this marker (as raw text, or after `select` through a Kysely builder's
 * `.modifyFront(sql.raw(PREPARED))`) run as named prepared statements: each connection parses and
 * plans them once, then reuses the plan. Planning the feed statements (lateral probes, JSON aggregation) cost about as
 * much server CPU as running them. Mark only statements whose text comes in a bounded number of shapes: every shape
 * is a prepared statement kept by every pooled connection.
 */
export const PREPARED = '/* prepared */ ';

/**
 * Shapes named per process. Past this many, further shapes run unnamed (correct, just planned every time), so a caller
 * that marks a text of unbounded variety cannot grow the server's memory without bound.
 */
const MAX_NAMES = 128;

const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `push_${names.size}`;
    names.set(text, name);
  }
  return name;
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * A pg client that sends marked statements by name. Kysely calls `query(text, values)`; the pg client keeps, per
 * connection, which names it has already prepared, and only sends Parse the first time.
 */
export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const plain = this.query.bind(this) as QueryFn;
    const prepared: QueryFn = (text, values, ...rest) => {
      if (typeof text !== 'string' || !text.slice(0, 32).includes(PREPARED) || rest.length > 0) {
        return plain(text, values, ...rest);
      }
      const name = nameOf(text);
      return name === undefined ? plain(text, values) : plain({ name, text, values });
    };
    (this as unknown as { query: QueryFn }).query = prepared;
  }
}
