import { loadConfig } from '../config/load.js';
import { openStore } from '../store/index.js';

/** `push-node migrate`: brings the configured store to the latest schema and exits. */
export async function migrateCommand(opts: { config?: string }): Promise<void> {
  const config = loadConfig({ file: opts.config });
  const store = await openStore({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    createDataDir: !config.dataDirExplicit,
  });
  await store.close();
  process.stdout.write(`store at ${store.location} is at the latest schema\n`);
}
