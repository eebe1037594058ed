import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { loadConfig } from '../../src/config/load.js';
import { createNode, type PushNode } from '../../src/node.js';
import { CORE_CHAIN_ID } from '../admission/support.js';

/**
 * A whole node (createNode, as `push-node start` builds it) on a free port with SQLite in `dataDir`, indexing the
 * core chain from `rpcUrl` (the alias chain stays disabled: no RPC URL). Started; `stop()` it.
 */
export async function startIndexingNode(dataDir: string, rpcUrl: string): Promise<PushNode> {
  const config = loadConfig({
    env: {
      PUSH_NODE_DATA_DIR: dataDir,
      PUSH_NODE_PORT: '0',
      PUSH_NODE_LOG_LEVEL: 'silent',
      [`PUSH_NODE_RPC_${CORE_CHAIN_ID}`]: rpcUrl,
    },
    cwd: '/tmp',
  });
  const node = await createNode(config, { logger: pino({ level: 'silent' }) });
  await node.start();
  return node;
}

/** Debian's Chromium, headless, kept off the network (no background services, updates or QUIC). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PUSH_TEST_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
