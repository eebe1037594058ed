import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createApiServer } from '../../src/api/server.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Store } from '../../src/store/index.js';

export const CORE = 11155111;
export const ALIAS = 80002;
export const logger = pino({ level: 'silent' });

/** A deterministic address from a small number (readable in failures). */
export const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

export const testConfig = {
  coreChainId: CORE,
  publicUrl: 'http://node.test',
  api: { maxPageSize: 25, bodyLimitBytes: 1024 * 1024, corsOrigins: ['*'] },
};

export function testServer(): FastifyInstance {
  return createApiServer({ config: testConfig, logger, metrics: createMetrics() });
}

export async function putChannel(
  store: Store,
  channel: string,
  patch: Partial<{
    name: string;
    state: number;
    verified_by: string | null;
    settings_raw: string | null;
    settings_description: string | null;
    tags: string | null;
    icon: string | null;
    created_at: number;
  }> = {},
) {
  await store.db
    .insertInto('channels')
    .values({
      channel,
      core_chain_id: CORE,
      channel_type: 2,
      identity: '1+bafy',
      ipfs_hash: 'bafy',
      name: patch.name ?? `channel ${channel.slice(-4)}`,
      info: 'info',
      url: 'https://example.org',
      icon: patch.icon === undefined ? 'https://example.org/icon.png' : patch.icon,
      tags: patch.tags ?? null,
      state: patch.state ?? 1,
      verified_by: patch.verified_by ?? null,
      settings_raw: patch.settings_raw ?? null,
      settings_description: patch.settings_description ?? null,
      subgraph: null,
      metadata_status: 'ok',
      metadata_attempts: 0,
      metadata_next_at: 0,
      created_block: 1,
      created_at: patch.created_at ?? 1_700_000_000_000,
      updated_at: 1_700_000_000_000,
    })
    .execute();
}

export async function putSubscription(
  store: Store,
  channel: string,
  subscriber: string,
  opts: { subscribed?: boolean; settingsRaw?: string | null; ts?: number } = {},
) {
  await store.db
    .insertInto('subscriptions')
    .values({
      channel,
      subscriber,
      subscribed: opts.subscribed === false ? 0 : 1,
      settings_raw: opts.settingsRaw ?? null,
      ts: opts.ts ?? 1_700_000_000_000,
      ts_order: 'x',
      proof: `p-${channel}-${subscriber}`,
      origin: null,
      chain_id: CORE,
    })
    .execute();
}
