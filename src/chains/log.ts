import type { Logger } from 'pino';

/**
 * Pino writes every binding of every ancestor logger, and a call's fields after them: a child (or a field) that sets a
 * key an ancestor already has repeats it on each line (`"component":"indexer",…,"component":"heads"`). These helpers
 * keep each key once per line: the parts of a chain indexer go under their own key, `part`, and `chainId` & co. are
 * added only where no ancestor has them.
 */

/** `fields` without the keys `logger` already binds. */
export function unbound<T extends Record<string, unknown>>(logger: Logger, fields: T): Partial<T> {
  const have = logger.bindings();
  const out: Partial<T> = {};
  for (const key of Object.keys(fields) as (keyof T & string)[]) if (!(key in have)) out[key] = fields[key];
  return out;
}

/** A child logger with those of `bindings` that no ancestor has. */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  return parent.child(unbound(parent, bindings));
}

/** The logger of one part of a chain indexer (`rpc`, `heads`, `follow`, `get-logs`): `part` names it. */
export function partLogger(parent: Logger, part: string, bindings: Record<string, unknown> = {}): Logger {
  return childLogger(parent, { ...bindings, part });
}
