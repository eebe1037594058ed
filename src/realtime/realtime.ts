import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import { isPushError, pushError } from '../errors.js';
import type { AdmittedNotification, NotificationBus } from '../ingest/bus.js';
import { normalizeRecipient } from '../protocol/index.js';
import type { DB } from '../store/index.js';
import type { FeedItem } from '../store/repos/feed-item.js';
import { channelSettingsOf, reachesSubscriber } from '../store/repos/feed-item.js';
import { createDeliveryHub, type DeliveryHub } from './delivery.js';
import { createSubscriberIndex, type SubscriberIndex } from './subscriber-index.js';

/** Socket events, as the SDK and the original node name them. */
export const EVENTS = {
  USER_FEEDS: 'userFeeds',
  USER_SPAM_FEEDS: 'userSpamFeeds',
  LIVE_FEEDS: 'liveFeeds',
  HISTORICAL_FEEDS: 'historicalFeeds',
  /** Sent once after a resume backlog, so a client knows it is live: `{lastId, count, truncated}`. */
  RESUMED: 'resumed',
} as const;

/** Cross-process messages (socket.io server-side emits through the Redis adapter). */
const RELAY_NOTIFICATION = 'push:notification';
const RELAY_SUBSCRIPTION = 'push:subscription';

export interface MissedItem {
  box: 'inbox' | 'spam';
  item: FeedItem;
}

export interface MissedBacklog {
  /** Oldest first (by id): the newest `limit` items missed. */
  items: MissedItem[];
  /** Older missed items may exist that `items` leaves out (more than `limit`, or past what the loader reads). */
  truncated: boolean;
}

/**
 * Reads what an address missed: the items its feeds list with |payload_id| > lastId — ids follow admission order,
 * send times do not — the newest `limit` of them, oldest first. What is returned has no hole: every missed item with
 * an id above the oldest one returned is in it.
 */
export type MissedFeedLoader = (address: string, lastId: number, limit: number) => Promise<MissedBacklog>;

export interface RealtimeDeps {
  server: HttpServer;
  bus: NotificationBus;
  /**
   * Read through `read`: what live delivery reads (opt-ins, a resume's backlog, delivery history) is committed before
   * it is announced, so the read connection sees it and need not wait for a chain batch's open transaction.
   */
  store: { read: Kysely<DB> };
  logger?: Logger;
  /** With a Redis URL, processes share fan-out through the socket.io Redis adapter. */
  redisUrl?: string | undefined;
  /** How long `ready()` waits for Redis before failing with PUSH_ERR_REDIS_UNAVAILABLE (default 10 s). */
  redisConnectTimeoutMs?: number;
  registry?: Registry;
  /** Loads the backlog of a resuming client; without it `lastId` is ignored. */
  missed?: MissedFeedLoader;
  /** Open notification sockets allowed per address (the original allowed 10). */
  maxSocketsPerAddress?: number;
  /**
   * Who may register a `mode=delivery` socket, by client address (config `api.deliveryNodes`; absent: anyone, as the
   * original). A delivery socket is sent every notification with its recipients: while one is connected each
   * broadcast reads its channel's whole audience, and the socket learns who subscribes to what.
   */
  deliveryAllowed?: (address: string | undefined) => boolean;
  /** Largest backlog sent on resume; a client further behind pages the REST feed. */
  resumeLimit?: number;
  /**
   * Packets a socket may have queued (not yet taken by its connection) before it is dropped: a client that stops
   * reading would otherwise hold memory without bound. It loses nothing: it reconnects with `lastId` and resumes.
   */
  maxQueuedPerSocket?: number;
}

/** Packets waiting in the socket's engine.io buffer (its connection is not taking them). */
function queuedOf(s: Socket): number {
  return (s.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
}

/** A Redis URL as logs may show it: scheme, host and port, never a password. */
function redactedRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'redis://…';
  }
}

export interface SubscriptionChange {
  /** Core-chain channel address. */
  channel: string;
  /** Any CAIP form or bare address. */
  subscriber: string;
  subscribed: boolean;
  settingsRaw: string | null;
}

export interface Realtime {
  io: Server;
  /** Resolves once the Redis adapter (if any) is connected. */
  ready(): Promise<void>;
  /** Keep the live index current after an opt-in/out admitted by this process (relayed to the others). */
  noteSubscription(change: SubscriptionChange): void;
  /** Sockets connected to this process. */
  socketCount(): number;
  close(): Promise<void>;
}

interface SocketState {
  address: string;
  /** Live events held while the resume backlog is read, flushed after it (deduplicated by id). */
  pending: { event: string; item: FeedItem }[] | null;
}

const idOf = (item: FeedItem) => Math.abs(Number(item.payload_id));

/** A socket's address from the handshake query: any CAIP form or bare address, normalised to `eip155:0x<lower>`. */
function addressOf(socket: Socket): string | null {
  const raw = socket.handshake.query.address;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value === '') return null;
  try {
    return normalizeRecipient(value);
  } catch (err) {
    if (isPushError(err)) return null;
    throw err;
  }
}

function lastIdOf(socket: Socket): number | null {
  const auth = socket.handshake.auth as { lastId?: unknown } | undefined;
  const raw = socket.handshake.query.lastId ?? auth?.lastId;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  // A subset's spam copy carries the negative id: both halves share one id sequence.
  return Number.isSafeInteger(n) ? Math.abs(n) : null;
}

/**
 * Live feeds over socket.io v4 on the node's HTTP server, as `@pushprotocol/socket` and the SDK's `PushStream`
 * connect: `?address=<caip>`; events `userFeeds` / `userSpamFeeds` with one SDK feed item each. `?mode=delivery`
 * registers a Web2 delivery node (`liveFeeds`, `historicalFeeds`). `?lastId=<payload_id>` (or `auth.lastId`) resumes:
 * the client first receives, oldest first, what it missed after that id, then the live stream, without gaps or
 * duplicates.
 */
export function createRealtime(deps: RealtimeDeps): Realtime {
  const logger = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'realtime' });
  const maxPerAddress = deps.maxSocketsPerAddress ?? 10;
  const resumeLimit = deps.resumeLimit ?? 1000;
  // Well above a resume backlog (sent at once, it sits in the queue while the client reads it).
  const maxQueued = deps.maxQueuedPerSocket ?? 5 * resumeLimit;
  const io = new Server(deps.server, {
    serveClient: false,
    cors: { origin: true, credentials: false },
    // Feed items are small; compression costs more CPU than it saves on a 10k-socket broadcast.
    perMessageDeflate: false,
  });

  const index: SubscriberIndex = createSubscriberIndex();
  /** Local sockets per address (notification mode). */
  const socketsByAddress = new Map<string, Set<Socket>>();
  const states = new WeakMap<Socket, SocketState>();
  /** Addresses whose subscriptions are being read into `index`: until then their broadcasts do not reach them live. */
  const loadingSubscriptions = new Map<string, Promise<void>>();
  const delivery: DeliveryHub = createDeliveryHub({ io, db: deps.store.read, logger });

  const registers = deps.registry ? [deps.registry] : [];
  const emitted = new Counter({
    name: 'push_node_realtime_emits_total',
    help: 'Feed items emitted to notification sockets, by event',
    labelNames: ['event'] as const,
    registers,
  });
  new Gauge({
    name: 'push_node_realtime_sockets',
    help: 'Notification and delivery sockets connected to this process',
    registers,
    collect() {
      this.set(io.of('/').sockets.size);
    },
  });

  let redis: { pub: Redis; sub: Redis } | null = null;
  let readyPromise: Promise<void> = Promise.resolve();
  if (deps.redisUrl) {
    const where = redactedRedis(deps.redisUrl);
    // Commands wait for a reconnect instead of failing after a few retries: a Redis blip delays relays, it does not
    // drop them on this side.
    const pub = new Redis(deps.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) {
      c.on('error', (err) => logger.warn({ err: err.message, redis: where }, 'redis error'));
      // The adapter fires these without awaiting them; a rejection (the client closing at shutdown) must not become
      // an unhandled rejection, which ends the process.
      for (const method of ['publish', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const) {
        const original = (c[method] as (...args: unknown[]) => Promise<unknown>).bind(c);
        (c as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          const pending = original(...args);
          pending.catch((err: Error) => logger.warn({ err: err.message, method }, 'redis command failed'));
          return pending;
        };
      }
    }
    redis = { pub, sub };
    io.adapter(createAdapter(pub, sub));
    const isReady = (c: Redis) =>
      c.status === 'ready' ? Promise.resolve() : new Promise<void>((r) => c.once('ready', () => r()));
    const timeoutMs = deps.redisConnectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    readyPromise = Promise.race([
      Promise.all([isReady(pub), isReady(sub)]).then(() => undefined),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              pushError(
                'PUSH_ERR_REDIS_UNAVAILABLE',
                `no Redis answered at ${where} within ${timeoutMs} ms`,
                {
                  field: 'redis.url',
                  hint: 'start Redis or fix redis.url (PUSH_NODE_REDIS_URL); leave it unset to run one process alone',
                },
              ),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    // Relays published while this process's subscriber was disconnected are lost (Redis pub/sub keeps nothing): after
    // a reconnect, the opt-ins of the addresses with sockets here are read again from the shared store.
    let subReadyOnce = false;
    sub.on('ready', () => {
      if (!subReadyOnce) {
        subReadyOnce = true;
        return;
      }
      logger.info({ redis: where, addresses: socketsByAddress.size }, 'redis reconnected: reloading opt-ins');
      for (const address of socketsByAddress.keys()) {
        loadSubscriptions(address).catch((err) =>
          logger.warn({ err, address }, 'subscriptions could not be reloaded after a redis reconnect'),
        );
      }
    });
  }

  /** Emits to local sockets: live ones in one encode, resuming ones queued. */
  function emitTo(sockets: Iterable<Socket>, event: string, item: FeedItem) {
    const live: string[] = [];
    for (const s of sockets) {
      const st = states.get(s);
      if (st?.pending) st.pending.push({ event, item });
      else if (queuedOf(s) >= maxQueued) {
        logger.info({ queued: queuedOf(s) }, 'dropping a socket that stopped reading');
        s.disconnect(true);
      } else live.push(s.id);
    }
    if (live.length === 0) return;
    // Each socket is in the room named by its id: one packet encoding for all of them.
    io.local.to(live).emit(event, item);
    emitted.inc({ event }, live.length);
  }

  function socketsOf(recipient: string): Set<Socket> | undefined {
    try {
      return socketsByAddress.get(normalizeRecipient(recipient));
    } catch {
      return undefined;
    }
  }

  /** Fans one admitted notification out to this process's sockets. */
  function fanOut(event: AdmittedNotification) {
    const { recipients, feedItem, spamFeedItem } = event;
    if (recipients.inbox === 'subscribers') {
      const settings = channelSettingsOf(
        event.audience.channelSettingsRaw,
        event.audience.channelSettingsDescription,
      );
      const targets: Socket[] = [];
      for (const [address, settingsRaw] of index.subscribersOf(event.notification.channel)) {
        if (!reachesSubscriber(settings, settingsRaw, event.audience.index)) continue;
        const set = socketsByAddress.get(address);
        if (set) for (const s of set) targets.push(s);
      }
      emitTo(targets, EVENTS.USER_FEEDS, feedItem);
    } else {
      const targets: Socket[] = [];
      for (const r of recipients.inbox) for (const s of socketsOf(r) ?? []) targets.push(s);
      emitTo(targets, EVENTS.USER_FEEDS, feedItem);
    }
    if (recipients.spam.length) {
      const targets: Socket[] = [];
      for (const r of recipients.spam) for (const s of socketsOf(r) ?? []) targets.push(s);
      emitTo(targets, EVENTS.USER_SPAM_FEEDS, spamFeedItem ?? feedItem);
    }
    delivery.publish(event);
  }

  const unsubscribeBus = deps.bus.subscribe((event) => {
    fanOut(event);
    if (redis) io.serverSideEmit(RELAY_NOTIFICATION, event);
  });
  io.on(RELAY_NOTIFICATION, (event: AdmittedNotification) => fanOut(event));

  function applySubscription(change: SubscriptionChange) {
    let address: string;
    try {
      address = normalizeRecipient(change.subscriber);
    } catch {
      return;
    }
    index.note(change.channel.toLowerCase(), address, change.subscribed, change.settingsRaw);
  }
  io.on(RELAY_SUBSCRIPTION, (change: SubscriptionChange) => applySubscription(change));

  async function loadSubscriptions(address: string) {
    const plain = address.startsWith('eip155:') ? address.slice('eip155:'.length) : address;
    const rows = await deps.store.read
      .selectFrom('subscriptions')
      .select(['channel', 'settings_raw'])
      .where('subscriber', '=', plain)
      .where('subscribed', '=', 1)
      .execute();
    index.load(
      address,
      rows.map((r) => ({ channel: r.channel, settingsRaw: r.settings_raw })),
    );
  }

  /**
   * Sends a resuming socket what it missed, then what arrived meanwhile. The socket was registered first, so an item
   * admitted after the loader's read reaches it live, into `pending` — once its subscriptions are in the index, which
   * is why the read waits for them. The backlog ends at the newest id when read; ids follow admission order, so the
   * held items flushed after it are newer, except duplicates of the backlog (skipped) and ids ≤ lastId (seen).
   */
  async function resume(socket: Socket, state: SocketState, lastId: number) {
    await loadingSubscriptions.get(state.address);
    let backlog: MissedItem[] = [];
    let truncated = false;
    try {
      if (deps.missed)
        ({ items: backlog, truncated } = await deps.missed(state.address, lastId, resumeLimit));
    } catch (err) {
      // The client cannot know what it missed: it is told so, and pages the REST feed.
      truncated = true;
      logger.warn({ err, address: state.address }, 'resume backlog could not be read');
    }
    // The loader returns the newest items; a client further behind than that is told so and pages the REST feed.
    if (backlog.length > resumeLimit) {
      backlog = backlog.slice(backlog.length - resumeLimit);
      truncated = true;
    }
    const sent = new Set<number>();
    for (const m of backlog) {
      sent.add(idOf(m.item));
      socket.emit(m.box === 'spam' ? EVENTS.USER_SPAM_FEEDS : EVENTS.USER_FEEDS, m.item);
    }
    // Live events that arrived while reading are flushed after the backlog, skipping those it already held.
    const pending = state.pending ?? [];
    state.pending = null;
    let last = lastId;
    for (const m of backlog) last = Math.max(last, idOf(m.item));
    for (const p of pending) {
      if (sent.has(idOf(p.item)) || idOf(p.item) <= lastId) continue;
      socket.emit(p.event, p.item);
      last = Math.max(last, idOf(p.item));
    }
    socket.emit(EVENTS.RESUMED, { lastId: last, count: backlog.length, truncated });
  }

  io.on('connection', (socket) => {
    const mode = socket.handshake.query.mode;
    if (mode === 'delivery') {
      if (deps.deliveryAllowed && !deps.deliveryAllowed(socket.handshake.address)) {
        logger.warn(
          { address: socket.handshake.address },
          'delivery socket refused: address not in api.deliveryNodes',
        );
        socket.disconnect(true);
        return;
      }
      delivery.register(socket);
      return;
    }
    if (mode === 'chat') {
      // The SDK's PushStream opens this socket (`mode=chat&did=…`) beside the notification one when an app also
      // listens to chat, and reports a server disconnect to the app. This node has no chat: it stays idle.
      return;
    }
    const address = addressOf(socket);
    if (!address) {
      // The original node disconnects a socket that has neither a mode nor an address.
      socket.disconnect(true);
      return;
    }
    let set = socketsByAddress.get(address);
    if (set && set.size >= maxPerAddress) {
      logger.debug({ address }, 'too many sockets for one address');
      socket.disconnect(true);
      return;
    }
    const lastId = lastIdOf(socket);
    const state: SocketState = { address, pending: lastId !== null && deps.missed ? [] : null };
    states.set(socket, state);
    if (!set) {
      set = new Set();
      socketsByAddress.set(address, set);
    }
    set.add(socket);
    if (index.connect(address)) {
      const loaded: Promise<void> = loadSubscriptions(address)
        .catch((err) =>
          logger.warn({ err, address }, 'subscriptions of a connecting socket could not be read'),
        )
        .finally(() => {
          if (loadingSubscriptions.get(address) === loaded) loadingSubscriptions.delete(address);
        });
      loadingSubscriptions.set(address, loaded);
    }
    if (state.pending) void resume(socket, state, lastId as number);
    socket.on('disconnect', () => {
      const s = socketsByAddress.get(address);
      s?.delete(socket);
      if (s && s.size === 0) socketsByAddress.delete(address);
      index.disconnect(address);
    });
  });

  return {
    io,
    ready: () => readyPromise,
    noteSubscription(change) {
      applySubscription(change);
      if (redis) io.serverSideEmit(RELAY_SUBSCRIPTION, change);
    },
    socketCount: () => io.of('/').sockets.size,
    async close() {
      unsubscribeBus();
      io.disconnectSockets(true);
      // io.close() would also close the HTTP server, which the node owns.
      await new Promise<void>((resolve) => {
        io.engine.close();
        resolve();
      });
      if (redis) {
        // QUIT waits for a connection; with Redis away (commands wait for a reconnect) it would wait for ever.
        const end = (c: Redis) => (c.status === 'ready' ? c.quit().then(() => undefined) : c.disconnect());
        await Promise.all([redis.pub, redis.sub].map((c) => Promise.resolve(end(c)).catch(() => {})));
      }
    },
  };
}
