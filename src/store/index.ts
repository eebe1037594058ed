import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import { type Database, type Dialect, migrateToLatest, openDatabase } from './database.js';
import type { DB } from './schema.js';

export type { Database, Dialect } from './database.js';
export type { DB } from './schema.js';

export interface StoreOptions {
  /** Postgres URL; when absent the embedded SQLite file `<dataDir>/push-node.sqlite` is used. */
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** Create the data dir if missing (the default dir); an operator-chosen dir must already exist. */
  createDataDir?: boolean;
  /** Explicit SQLite path (tests, benchmarks); `:memory:` for a throw-away store. */
  sqlitePath?: string | undefined;
  /** Postgres schema to use (tests use one per file). */
  schema?: string | undefined;
  poolSize?: number | undefined;
  /** Postgres: named prepared statements for the hot reads (default true; off behind a pooler that cannot keep them). */
  preparedStatements?: boolean | undefined;
  logger?: Logger | undefined;
  /** Run migrations on open (default true). */
  migrate?: boolean;
}

export interface Store {
  db: Kysely<DB>;
  /**
   * For plain reads that need not wait for a write transaction (the HTTP read routes, live delivery's reads).
   * Invariant: it sees committed data only — every commit that finished before a query started, never the writes of
   * a transaction still open on `db`. So never use it inside a transaction, nor to read what is about to be written
   * (read-modify-write): that belongs on `db`/the transaction. On a SQLite file it is a second, read-only connection
   * (WAL lets it read while the writer writes); on `:memory:` and Postgres it is `db` itself.
   */
  read: Kysely<DB>;
  dialect: Dialect;
  location: string;
  /** Postgres schema, when not the default. */
  schema?: string;
  close(): Promise<void>;
}

function ensureDataDir(dir: string, create: boolean): void {
  try {
    if (statSync(dir).isDirectory()) return;
    throw pushError('PUSH_ERR_DATA_DIR', `the data dir ${dir} is not a directory`, {
      field: 'dataDir',
      hint: 'point PUSH_NODE_DATA_DIR (or dataDir) at a directory',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!create) {
    throw pushError('PUSH_ERR_DATA_DIR', `the data dir ${dir} does not exist`, {
      field: 'dataDir',
      hint: `create it (mkdir -p ${dir}) or unset PUSH_NODE_DATA_DIR to use the default ./.push-node`,
    });
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw pushError('PUSH_ERR_DATA_DIR', `cannot create the data dir ${dir}: ${(err as Error).message}`, {
      field: 'dataDir',
      cause: err,
    });
  }
}

/** Opens the node's store (SQLite or Postgres) and brings its schema to the latest version. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  let sqlitePath = opts.sqlitePath;
  if (!opts.databaseUrl && !sqlitePath) {
    const dir = opts.dataDir ?? '.push-node';
    ensureDataDir(dir, opts.createDataDir ?? true);
    sqlitePath = join(dir, 'push-node.sqlite');
  }
  const database: Database = await openDatabase({
    url: opts.databaseUrl,
    sqlitePath,
    schema: opts.schema,
    poolSize: opts.poolSize,
    preparedStatements: opts.preparedStatements,
    logger: opts.logger,
  });
  if (opts.migrate ?? true) {
    try {
      const { applied } = await migrateToLatest(database);
      if (applied.length) opts.logger?.info({ applied }, 'store migrated');
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  return {
    db: database.db,
    read: database.read,
    dialect: database.dialect,
    location: database.location,
    ...(database.schema ? { schema: database.schema } : {}),
    close: () => database.close(),
  };
}
