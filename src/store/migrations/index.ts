import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as m001 from './001-initial.js';
import * as m002 from './002-admission.js';
import * as m003 from './003-feed-indexes.js';
import * as m004 from './004-intake-keys.js';
import * as m005 from './005-feed-counts.js';
import * as m006 from './006-input-refusals.js';
import * as m007 from './007-subscription-event-origin.js';
import * as m008 from './008-subscriber-counts.js';
import * as m009 from './009-input-channel.js';

export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
}

type MigrationModule = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

/** Versioned migrations, applied in name order. Append only: a released migration never changes. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '001-initial': m001,
  '002-admission': m002,
  '003-feed-indexes': m003,
  '004-intake-keys': m004,
  '005-feed-counts': m005,
  '006-input-refusals': m006,
  '007-subscription-event-origin': m007,
  '008-subscriber-counts': m008,
  '009-input-channel': m009,
};

export function migrationProvider(ctx: MigrationContext): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (db) => mod.up(db, ctx) };
      }
      return out;
    },
  };
}

export const LATEST_MIGRATION = Object.keys(MIGRATIONS).sort().at(-1)!;
