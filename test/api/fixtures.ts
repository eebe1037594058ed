import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { registerPushRoutes } from '../../src/api/routes/index.js';
import { createApiServer } from '../../src/api/server.js';
import { createAddressMatcher, PRIVATE_NETWORKS } from '../../src/config/address-list.js';
import type { Admission } from '../../src/ingest/admission/index.js';
import type { NotificationBus } from '../../src/ingest/bus.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createRealtime, createStoredMissedLoader, type Realtime } from '../../src/realtime/index.js';
import type { Store } from '../../src/store/index.js';
import { testAdmission } from '../admission/support.js';
import { testChannelRow } from '../support/channel-row.js';

export const CORE = 11155111;
export const ALIAS = 80002;
export const logger = pino({ level: 'silent' });

/** A deterministic address from a small number (readable in failures). */
export const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

export const testConfig = {
  coreChainId: CORE,
  publicUrl: 'http://node.test',
  api: {
    maxPageSize: 25,
    bodyLimitBytes: 1024 * 1024,
    corsOrigins: ['*'],
    trustProxy: false,
    deliveryNodes: [...PRIVATE_NETWORKS],
  },
};

export function testServer(): FastifyInstance {
  return createApiServer({ config: testConfig, logger, metrics: createMetrics() });
}

/**
 * The HTTP API with live sockets on one server, wired as src/node.ts wires them (opt-in changes reach the sockets),
 * not yet listening.
 */
export function testPushApp(deps: {
  store: Store;
  bus: NotificationBus;
  admission: Admission;
  config?: Parameters<typeof registerPushRoutes>[1]['config'] & {
    api: { deliveryNodes?: 'any' | string[] };
  };
  redisUrl?: string;
}): { app: FastifyInstance; realtime: Realtime } {
  const app = testServer();
  const realtime = createRealtime({
    server: app.server,
    bus: deps.bus,
    store: deps.store,
    logger,
    missed: createStoredMissedLoader(deps.store.read),
    deliveryAllowed: createAddressMatcher(deps.config?.api.deliveryNodes ?? testConfig.api.deliveryNodes),
    ...(deps.redisUrl ? { redisUrl: deps.redisUrl } : {}),
  });
  registerPushRoutes(app, {
    store: deps.store,
    config: deps.config ?? testConfig,
    admission: deps.admission,
    onSubscription: (change) => realtime.noteSubscription(change),
  });
  return { app, realtime };
}

/** Polls `check` every 20 ms until it holds; throws `timed out waiting` after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once `socket` is connected (at once if it already is). */
export function connected(socket: Socket): Promise<void> {
  return new Promise<void>((r) => (socket.connected ? r() : socket.once('connect', () => r())));
}

export interface TestLiveApp {
  app: FastifyInstance;
  realtime: Realtime;
  admission: Admission;
  /** A socket.io client to the listening app with `query` (WebSocket only, no reconnection, its own connection). */
  open(query: Record<string, string>): Socket;
  /** Closes every socket `open` opened, then the live sockets, the app and admission; not the store. */
  close(): Promise<void>;
}

/**
 * The HTTP API with live sockets (`testPushApp`) over `store`, fed by `testAdmission(store)`, listening on a free port
 * of 127.0.0.1; with `listen: false` only ready (for tests that only `app.inject`).
 */
export async function testLiveApp(
  store: Store,
  opts: { listen?: boolean; config?: Parameters<typeof testPushApp>[0]['config'] } = {},
): Promise<TestLiveApp> {
  const { admission, bus } = testAdmission(store);
  const { app, realtime } = testPushApp({
    store,
    bus,
    admission,
    ...(opts.config ? { config: opts.config } : {}),
  });
  let origin = '';
  if (opts.listen === false) await app.ready();
  else {
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }
  const sockets: Socket[] = [];
  return {
    app,
    realtime,
    admission,
    open(query) {
      if (!origin) throw new Error('testLiveApp: not listening');
      const s = io(origin, { transports: ['websocket'], query, reconnection: false, forceNew: true });
      sockets.push(s);
      return s;
    },
    async close() {
      for (const s of sockets) s.close();
      await realtime.close();
      await app.close();
      await admission.stop();
    },
  };
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
    .values(
      testChannelRow(channel, {
        core_chain_id: CORE,
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
        created_at: patch.created_at ?? 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
      }),
    )
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
