import { Migrator } from 'kysely';
import pg from 'pg';
import { type Database, openDatabase, retryCatalogRace } from '../../src/store/database.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { freshSchemaName, TEST_DATABASE_URL } from './store-backends.js';

/** The steps of a Migrator the tests take, each retried on a catalog race as `migrateToLatest` does. */
export type TestMigrator = Pick<Migrator, 'migrateTo' | 'migrateToLatest'>;

/** A Migrator over the store's migrations for `database` (its schema's own migration table on Postgres). */
export function migrator(database: Database): TestMigrator {
  const m = new Migrator({
    db: database.db,
    provider: migrationProvider({ dialect: database.dialect }),
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  return {
    migrateTo: (target) => retryCatalogRace(() => m.migrateTo(target)),
    migrateToLatest: () => retryCatalogRace(() => m.migrateToLatest()),
  };
}

export interface MigrationBackend {
  name: 'sqlite' | 'postgres';
  /** A fresh, unmigrated database (its own SQLite memory db, or its own Postgres schema) and its `migrator`. */
  open(): Promise<{ database: Database; migrator: TestMigrator }>;
  /** Closes what `open` opened and drops its Postgres schemas. */
  cleanup(): Promise<void>;
}

/**
 * Both backends for a migration test, which migrates to the version before, writes rows as they stood, and migrates
 * on (`describe.each(migrationBackends())`, `afterAll(() => backend.cleanup())`).
 */
export function migrationBackends(): MigrationBackend[] {
  const backend = (name: MigrationBackend['name'], openOne: () => Promise<Database>): MigrationBackend => {
    const opened: Database[] = [];
    return {
      name,
      async open() {
        const database = await openOne();
        opened.push(database);
        return { database, migrator: migrator(database) };
      },
      async cleanup() {
        for (const d of opened.splice(0)) {
          await d.close();
          if (!d.schema) continue;
          const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS ${d.schema} CASCADE`).finally(() => client.end());
        }
      },
    };
  };
  return [
    backend('sqlite', () => openDatabase({ sqlitePath: ':memory:' })),
    backend('postgres', () => openDatabase({ url: TEST_DATABASE_URL, schema: freshSchemaName() })),
  ];
}
