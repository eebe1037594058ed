import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';

export const TEST_DATABASE_URL =
  process.env.PUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A fresh, migrated, empty store: its own SQLite memory db, or its own Postgres schema. */
  open(): Promise<Store>;
  /** Drops what `open` created. */
  cleanup(): Promise<void>;
}

export function freshSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Both store backends; every store test runs against each (`describe.each(storeBackends())`). */
export function storeBackends(): StoreBackend[] {
  const schemas: string[] = [];
  const opened: Store[] = [];
  return [
    {
      name: 'sqlite',
      async open() {
        const s = await openStore({ sqlitePath: ':memory:' });
        opened.push(s);
        return s;
      },
      async cleanup() {
        await Promise.all(opened.splice(0).map((s) => s.close().catch(() => {})));
      },
    },
    {
      name: 'postgres',
      async open() {
        const schema = freshSchemaName();
        schemas.push(schema);
        const s = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 4 });
        opened.push(s);
        return s;
      },
      async cleanup() {
        await Promise.all(opened.splice(0).map((s) => s.close().catch(() => {})));
        if (!schemas.length) return;
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
          for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        } finally {
          await client.end();
        }
      },
    },
  ];
}
