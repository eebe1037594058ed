import { loadConfig } from '../config/load.js';
import { migrateToLatest } from '../store/database.js';
import { openStore } from '../store/index.js';

/** `push-node migrate`: brings the configured store to the latest schema, says what it applied, and exits. */
export async function migrateCommand(opts: { config?: string }): Promise<void> {
  const config = loadConfig({ file: opts.config });
  const store = await openStore({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    createDataDir: !config.dataDirExplicit,
    poolSize: config.database.poolSize,
    preparedStatements: config.database.preparedStatements,
    migrate: false,
  });
  let outcome: { applied: string[]; latest: string };
  try {
    outcome = await migrateToLatest(store);
  } finally {
    await store.close();
  }
  const { applied, latest } = outcome;
  process.stdout.write(
    applied.length
      ? `store at ${store.location}: applied ${applied.length} migration(s): ${applied.join(', ')}; now at ${latest}\n`
      : `store at ${store.location}: already at ${latest}, nothing to apply\n`,
  );
}
