import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

/**
 * better-sqlite3 runs every statement synchronously, and Kysely's promises around them resolve as microtasks: a
 * transaction of thousands of statements (a chain batch applies up to 20,000 logs in one) never gave the event loop a
 * turn, so no HTTP request was even parsed until it committed, whatever connection it would have read on.
 *
 * This dialect's connection lets the event loop run (`setImmediate`) before a statement once the statements since its
 * last turn have taken `sliceMs`. Other code then runs mid-transaction, but never inside it: Kysely hands the one
 * connection to one caller at a time (others wait for the transaction to end), readers use their own connection
 * (`Store.read`), and code that writes through `db` is already correct under such interleaving, since on Postgres
 * every statement is a real await.
 */
export function yieldingSqliteDialect(config: SqliteDialectConfig, sliceMs = 10): SqliteDialect {
  return new (class extends SqliteDialect {
    override createDriver(): Driver {
      return yieldingDriver(super.createDriver(), sliceMs);
    }
  })(config);
}

/** A run of synchronous work since the event loop's last turn: when it started, or null if none is running. */
function createSliceClock(sliceMs: number) {
  let started: number | null = null;
  const turned = () => {
    started = null;
  };
  return {
    /** Resolves at once, or after one turn of the event loop when the current run has lasted `sliceMs`. */
    async beforeStatement(): Promise<void> {
      const now = performance.now();
      if (started === null) {
        started = now;
        // Immediates run in order: this one marks the end of the run at the next turn, whoever gets it.
        setImmediate(turned);
        return;
      }
      if (now - started < sliceMs) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}

function yieldingDriver(inner: Driver, sliceMs: number): Driver {
  const clock = createSliceClock(sliceMs);
  const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const wrap = (connection: DatabaseConnection): DatabaseConnection => {
    let w = wrapped.get(connection);
    if (!w) {
      w = {
        async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
          await clock.beforeStatement();
          return connection.executeQuery<R>(query);
        },
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
          connection.streamQuery<R>(query, chunkSize),
      };
      wrapped.set(connection, w);
    }
    return w;
  };
  return {
    init: () => inner.init(),
    acquireConnection: async () => wrap(await inner.acquireConnection()),
    beginTransaction: (c: DatabaseConnection, settings: TransactionSettings) =>
      inner.beginTransaction(c, settings),
    commitTransaction: (c: DatabaseConnection) => inner.commitTransaction(c),
    rollbackTransaction: (c: DatabaseConnection) => inner.rollbackTransaction(c),
    ...(inner.savepoint ? { savepoint: inner.savepoint.bind(inner) } : {}),
    ...(inner.rollbackToSavepoint ? { rollbackToSavepoint: inner.rollbackToSavepoint.bind(inner) } : {}),
    ...(inner.releaseSavepoint ? { releaseSavepoint: inner.releaseSavepoint.bind(inner) } : {}),
    releaseConnection: (c: DatabaseConnection) => inner.releaseConnection(c),
    destroy: () => inner.destroy(),
  };
}
