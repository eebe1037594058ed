import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigFile } from '../../src/config/schema.js';
import { createNode, type PushNode } from '../../src/node.js';
import { CORE_CHAIN_ID } from '../admission/support.js';

/**
 * A whole node (createNode, as `push-node start` builds it) on a free port with its SQLite store in `dataDir`, chain
 * indexing off, the core chain configured (its channels can send; nothing reads its RPC URL), `env` and `overrides`
 * on top; with `databaseSchema`, on Postgres (`PUSH_NODE_DATABASE_URL` in `env`) in that schema. Started; `stop()` it.
 */
export async function startTestNode(
  dataDir: string,
  env: Record<string, string> = {},
  overrides: ConfigFile = {},
  opts: { databaseSchema?: string } = {},
): Promise<PushNode> {
  const config = loadConfig({
    env: {
      PUSH_NODE_DATA_DIR: dataDir,
      PUSH_NODE_PORT: '0',
      PUSH_NODE_LOG_LEVEL: 'silent',
      [`PUSH_NODE_RPC_${CORE_CHAIN_ID}`]: 'http://127.0.0.1:9',
      ...env,
    },
    overrides: { ...overrides, indexer: { enabled: false } },
    cwd: '/tmp',
  });
  const node = await createNode(config, { logger: pino({ level: 'silent' }), ...opts });
  await node.start();
  return node;
}
