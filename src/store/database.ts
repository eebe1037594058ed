import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import { LATEST_MIGRATION, migrationProvider } from './migrations/index.js';
import { PreparingClient } from './pg-prepared.js';
import type { DB } from './schema.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { yieldingSqliteDialect } from './sqlite-yield.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** `postgres://…` selects Postgres; otherwise SQLite at `sqlitePath`. */
  url?: string | undefined;
  sqlitePath?: string | undefined;
  /** Postgres only: a schema to create and use (tests use one schema per file). */
  schema?: string | undefined;
  poolSize?: number | undefined;
  /** Postgres only: run the marked hot statements as named prepared statements (default true; see pg-prepared.ts). */
  preparedStatements?: boolean | undefined;
  logger?: Logger | undefined;
}

export interface Database {
  db: Kysely<DB>;
  /** Committed data only, for plain reads outside transactions: see `Store.read`. */
  read: Kysely<DB>;
  dialect: Dialect;
  /** Where the data lives, without credentials. */
  location: string;
  /** Postgres schema the tables live in, when not the default. */
  schema?: string;
  close(): Promise<void>;
}

const INT8_OID = 20;

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

async function openPostgres(opts: DatabaseOptions & { url: string }): Promise<Database> {
  const { schema } = opts;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `invalid Postgres schema name "${schema}"`, {
      field: 'database.schema',
    });
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    ...(opts.preparedStatements === false ? {} : { Client: PreparingClient }),
    connectionTimeoutMillis: 5_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // Every int8 we store (block numbers, ms timestamps, ids) is below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (err) => opts.logger?.warn({ err }, 'postgres pool error'));
  try {
    const client = await pool.connect();
    try {
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query('SELECT 1');
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    const e = err as { code?: string; message?: string };
    throw pushError(
      'PUSH_ERR_DB_UNREACHABLE',
      `cannot connect to Postgres at ${redact(opts.url)}: ${e.message ?? e.code}`,
      {
        field: 'database.url',
        hint: 'check that Postgres is running and the URL (host, port, user, database) is right, or unset PUSH_NODE_DATABASE_URL to use the embedded SQLite store',
        cause: err,
      },
    );
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    // A pool already: a read never waits for another caller's transaction.
    read: db,
    dialect: 'postgres',
    location: redact(opts.url) + (schema ? ` (schema ${schema})` : ''),
    ...(schema ? { schema } : {}),
    close: () => db.destroy(),
  };
}

const STATEMENT_CACHE_SIZE = 512;

/**
 * Lower case as Postgres' `lower()` (under a UTF-8 locale) gives it: every code point on its own, non-ASCII letters
 * included. SQLite's `lower()` and `LIKE` fold ASCII only; queries that compare case-insensitively call
 * `UNICODE_LOWER` there instead. Per code point, not `toLowerCase()` of the whole string, which lowers a final Σ to ς.
 */
export function unicodeLower(text: string): string {
  let out = '';
  for (const c of text) out += c.toLowerCase();
  return out;
}

/** The SQLite function (registered on every connection `openDatabase` opens) that applies `unicodeLower`. */
export const UNICODE_LOWER = 'unicode_lower';

/**
 * better-sqlite3's SQLite is built with STAT4, which re-prepares a statement at every run when a bound parameter
 * might change its plan — a bare `limit ?`/`offset ?` included (measured: +7 µs per run, 2.5 ms for a large UNION).
 * `? + 0` is an expression, not a parameter the planner looks at, so the prepared plan is kept.
 */
export function rewriteForStat4(sql: string): string {
  return sql.replace(/\b(limit|offset) \?/g, '$1 ? + 0');
}

/**
 * Kysely prepares every query anew; the node runs a few hundred query shapes over and over, and preparing costs
 * about as much as executing a small one. Statements are reused by SQL text (Kysely serialises use of the connection,
 * so a cached statement is never run twice at once).
 */
function withStatementCache(sqlite: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') return Reflect.get(target, prop, receiver);
      return (sql: string) => {
        let stmt = cache.get(sql);
        if (!stmt) {
          stmt = prepare(rewriteForStat4(sql));
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
          cache.set(sql, stmt);
        }
        return stmt;
      };
    },
  });
}

/** What every connection to the store needs for reads, the writer's and the reader's alike. */
function tuneForReads(sqlite: BetterSqlite3.Database): void {
  sqlite.pragma('busy_timeout = 5000');
  // Pages are read through a memory map (no read() per page, the OS cache holds them), so SQLite's own page cache
  // stays small: every commit costs time proportional to that cache's size (8 MiB instead of 64 MiB took ~7 µs of
  // main-thread CPU off each admitted payload at ~25 per commit, while backfill and feed reads, served from the map,
  // measured the same).
  sqlite.pragma('cache_size = -8192');
  sqlite.pragma('mmap_size = 268435456');
  sqlite.pragma('temp_store = MEMORY');
  sqlite.function(UNICODE_LOWER, { deterministic: true }, (v: unknown) =>
    typeof v === 'string' ? unicodeLower(v) : v,
  );
}

function cannotOpen(path: string, err: unknown): Error {
  return pushError(
    'PUSH_ERR_DATA_DIR',
    `cannot open the SQLite store at ${path}: ${(err as Error).message}`,
    {
      field: 'dataDir',
      hint: 'make sure the data directory exists and is writable',
      cause: err,
    },
  );
}

function openSqlite(path: string, logger?: Logger): Database {
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(path);
  } catch (err) {
    throw cannotOpen(path, err);
  }
  // WAL lets readers run while the indexer writes; NORMAL sync is durable across process crashes in WAL mode.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  tuneForReads(sqlite);
  const file = path !== ':memory:' && path !== '';
  // Checkpoints run in a worker (sqlite-checkpointer.ts); this only bounds the WAL should that worker stop.
  if (file) sqlite.pragma('wal_autocheckpoint = 32768');
  // After a checkpoint the WAL is reused from its start; this trims a file left large by a burst of writes.
  sqlite.pragma('journal_size_limit = 67108864');
  // Kysely runs one query at a time on a connection, and an open transaction holds it until its commit: a read
  // issued while a transaction waits between statements (a chain batch that yields the event loop) would wait for
  // all of it. A second, read-only connection reads the last committed state from the WAL meanwhile. A memory
  // database has no file another connection could open: it reads on the writer's.
  let reader: BetterSqlite3.Database | null = null;
  if (file) {
    try {
      reader = new BetterSqlite3(path, { readonly: true });
      tuneForReads(reader);
    } catch (err) {
      reader?.close();
      sqlite.close();
      throw cannotOpen(path, err);
    }
  }
  const checkpointer = file ? startCheckpointer({ path, ...(logger ? { logger } : {}) }) : null;
  const db = new Kysely<DB>({ dialect: yieldingSqliteDialect({ database: withStatementCache(sqlite) }) });
  const read = reader
    ? new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(reader) }) })
    : db;
  return {
    db,
    read,
    dialect: 'sqlite',
    location: path,
    async close() {
      // The reader first: the writer, closing last, then checkpoints and removes the WAL (a read-only one cannot).
      // Kysely closes a connection only if it ever ran a query: an idle reader would stay open and keep the WAL.
      if (reader) {
        await read.destroy();
        reader.close();
      }
      await checkpointer?.close();
      await db.destroy();
      sqlite.close();
    },
  };
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    if (!/^postgres(ql)?:\/\//.test(opts.url)) {
      throw pushError(
        'PUSH_ERR_CONFIG_INVALID',
        'database.url must start with postgres:// or postgresql://',
        {
          field: 'database.url',
        },
      );
    }
    return openPostgres({ ...opts, url: opts.url });
  }
  return openSqlite(opts.sqlitePath ?? ':memory:', opts.logger);
}

/**
 * Postgres "schema does not exist", "relation does not exist" and "column does not exist": raised by Kysely's catalog
 * introspection (`pg_get_serial_sequence` over every column it lists) when ANOTHER schema's tables are dropped or
 * altered while it reads the catalog.
 */
const CATALOG_RACE = new Set(['3F000', '42P01', '42703']);

/** An error of the introspection before any migration ran (a migration's own error names it in `results`). */
export function isCatalogRace(outcome: { error?: unknown; results?: { status: string }[] }): boolean {
  const code = (outcome.error as { code?: string } | undefined)?.code;
  return code !== undefined && CATALOG_RACE.has(code) && !outcome.results?.some((r) => r.status === 'Error');
}

/**
 * Runs a Kysely migration step, again while it fails on a catalog race: the introspection reads every schema of the
 * database, and one dropped or altered concurrently (other tenants, test runs) makes it fail although ours is fine.
 */
export async function retryCatalogRace<T extends { error?: unknown; results?: { status: string }[] }>(
  run: () => Promise<T>,
): Promise<T> {
  let outcome = await run();
  for (let attempt = 1; attempt <= 5 && isCatalogRace(outcome); attempt++) {
    await new Promise((r) => setTimeout(r, 50 * attempt));
    outcome = await run();
  }
  return outcome;
}

/** Applies every pending migration. Safe to run concurrently from several processes on Postgres (Kysely locks). */
export async function migrateToLatest(database: Database): Promise<{ applied: string[]; latest: string }> {
  const migrator = new Migrator({
    db: database.db,
    provider: migrationProvider({ dialect: database.dialect }),
    // Kysely looks for its bookkeeping tables across all schemas; pin them to ours so schemas never see each other's.
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  const { error, results } = await retryCatalogRace(() => migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw pushError(
      'PUSH_ERR_DB_MIGRATION',
      `migration ${failed ?? ''} failed: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'the database may hold a schema from a newer or foreign version; use a fresh database or schema',
      },
    );
  }
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    latest: LATEST_MIGRATION,
  };
}
