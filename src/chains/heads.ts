import type { Logger } from 'pino';
import { getWebSocketRpcClient } from 'viem/utils';
import { partLogger } from './log.js';
import type { RpcClient } from './rpc.js';

/**
 * New-head signals for the follower: a WebSocket `eth_subscribe('newHeads')` when a WS URL is configured and answers
 * with the right chain id, with HTTP polling as the fallback. Polling never stops entirely: while WebSocket heads are
 * fresh it only runs at a slow safety interval, so a silently dead socket costs at most that interval.
 */

export interface Head {
  number: number;
  hash: string | null;
}

export interface HeadWatcher {
  /** Latest head observed (WS or poll), null before the first. */
  latest(): Head | null;
  /** ms epoch when the head number last increased. */
  lastAdvanceAt(): number | null;
  /** Increases with every distinct head observed. */
  seq(): number;
  /**
   * Resolves once a head not seen at `since` (default: now) is observed — a new number or a new hash — or after
   * `maxWaitMs`. Passing the seq read before a sync pass makes heads that arrived during the pass count.
   */
  next(signal: AbortSignal, maxWaitMs?: number, since?: number): Promise<void>;
  /** Records a head learnt elsewhere (the follower's own eth_blockNumber). */
  observe(head: Head): void;
  /** WebSocket heads arrived recently. */
  wsActive(): boolean;
  /** A newHeads subscription is established (heads may not have arrived yet). */
  wsSubscribed(): boolean;
  stop(): void;
}

export interface HeadWatcherOptions {
  chainId: number;
  rpc: RpcClient;
  wsUrls: string[];
  blockTimeMs: number;
  logger: Logger;
  /** Poll period without fresh WS heads. Default clamp(blockTime/2, 250 ms, 4 s). */
  pollMs?: number;
  onHead?: (head: Head) => void;
}

type WsClient = Awaited<ReturnType<typeof getWebSocketRpcClient>>;

// viem caches socket clients by URL and options, process-wide: several watchers of one URL share a socket, so it
// is closed only when the last of them lets go.
const wsRefs = new Map<string, { client: WsClient; refs: number }>();
const WS_OPTIONS = { keepAlive: { interval: 15_000 }, reconnect: false } as const;

async function acquireWs(url: string, timeoutMs: number): Promise<WsClient> {
  const held = wsRefs.get(url);
  if (held) {
    held.refs++;
    return held.client;
  }
  let timer: NodeJS.Timeout | undefined;
  const connecting = getWebSocketRpcClient(url, WS_OPTIONS);
  const client = await Promise.race([
    connecting,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A socket that opens after we gave up would otherwise stay open (and keep pinging) forever.
        connecting.then((late) => (wsRefs.has(url) ? undefined : late.close())).catch(() => {});
        reject(new Error(`WebSocket ${hostOf(url)} did not open in ${timeoutMs} ms`));
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const again = wsRefs.get(url);
  if (again) {
    again.refs++;
    return again.client;
  }
  wsRefs.set(url, { client, refs: 1 });
  return client;
}

function releaseWs(url: string) {
  const held = wsRefs.get(url);
  if (!held) return;
  if (--held.refs > 0) return;
  wsRefs.delete(url);
  try {
    held.client.close();
  } catch {
    // already closed
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

export function createHeadWatcher(options: HeadWatcherOptions): HeadWatcher {
  const { chainId, rpc, wsUrls, blockTimeMs, logger } = options;
  const log = partLogger(logger, 'heads', { chainId });
  const pollMs = options.pollMs ?? Math.min(4_000, Math.max(250, Math.floor(blockTimeMs / 2)));
  const safetyPollMs = Math.max(pollMs, Math.min(30_000, blockTimeMs * 4));
  const wsFreshMs = Math.max(2_000, blockTimeMs * 3);

  let latest: Head | null = null;
  let lastAdvanceAt: number | null = null;
  let seq = 0;
  let waiters: Array<() => void> = [];
  let stopped = false;
  let lastWsHeadAt = 0;
  let pollTimer: NodeJS.Timeout | undefined;
  let wsRetryTimer: NodeJS.Timeout | undefined;
  let wsIndex = 0;
  let wsFailures = 0;
  const badWs = new Set<string>();
  // The live subscription; `release` lets go of the shared socket exactly once.
  let wsSub: { url: string; client: WsClient; id: string | null; release: () => void } | null = null;

  function observe(head: Head) {
    if (latest && latest.number === head.number && (head.hash === null || latest.hash === head.hash)) return;
    if (!latest || head.number > latest.number) lastAdvanceAt = Date.now();
    latest = {
      number: head.number,
      hash: head.hash ?? (latest?.number === head.number ? latest.hash : null),
    };
    seq++;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
    options.onHead?.(latest);
  }

  const wsFresh = () => wsSub !== null && Date.now() - lastWsHeadAt < wsFreshMs;

  function schedulePoll(delay: number) {
    if (stopped) return;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, delay);
    pollTimer.unref?.();
  }

  async function poll() {
    if (stopped) return;
    try {
      const b = await rpc.getBlock('latest');
      if (b) observe({ number: b.number, hash: b.hash });
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'head poll failed');
    }
    schedulePoll(wsFresh() ? safetyPollMs : pollMs);
  }

  function unsubscribe(sub: NonNullable<typeof wsSub>) {
    if (sub.id) {
      try {
        sub.client.request({ body: { method: 'eth_unsubscribe', params: [sub.id] }, onResponse: () => {} });
      } catch {
        // socket gone
      }
    }
    sub.release();
  }

  function dropWs(reason: string) {
    if (!wsSub) return;
    const sub = wsSub;
    wsSub = null;
    unsubscribe(sub);
    log.warn({ host: hostOf(sub.url), reason }, 'WebSocket heads lost; polling');
    scheduleWs();
  }

  function scheduleWs() {
    if (stopped) return;
    const usable = wsUrls.filter((u) => !badWs.has(u));
    if (usable.length === 0) return;
    const delay = wsFailures === 0 ? 0 : Math.min(60_000, 1_000 * 2 ** Math.min(6, wsFailures - 1));
    clearTimeout(wsRetryTimer);
    wsRetryTimer = setTimeout(() => void connectWs(), delay);
    wsRetryTimer.unref?.();
  }

  async function connectWs() {
    if (stopped || wsSub) return;
    const usable = wsUrls.filter((u) => !badWs.has(u));
    if (usable.length === 0) return;
    const url = usable[wsIndex++ % usable.length]!;
    let client: WsClient;
    try {
      client = await acquireWs(url, 10_000);
    } catch (err) {
      wsFailures++;
      // The message may quote the URL, whose path or query often carries an API key.
      const reason = String((err as Error).message)
        .split(url)
        .join(hostOf(url));
      log.debug({ host: hostOf(url), err: reason }, 'WebSocket connect failed');
      return scheduleWs();
    }
    let held = true;
    const release = () => {
      if (held) releaseWs(url);
      held = false;
    };
    if (stopped) return release();
    const sub = { url, client, id: null as string | null, release };
    try {
      const res = await client.requestAsync({ body: { method: 'eth_chainId' }, timeout: 10_000 });
      const served = typeof res.result === 'string' ? Number.parseInt(res.result, 16) : Number.NaN;
      if (served !== chainId) {
        badWs.add(url);
        release();
        log.error(
          { host: hostOf(url), expected: chainId, served, code: 'PUSH_ERR_CHAIN_ID_MISMATCH' },
          'WebSocket URL serves another chain; not using it',
        );
        return scheduleWs();
      }
      if (stopped) return release();
      wsSub = sub;
      await new Promise<void>((resolve, reject) => {
        client.request({
          body: { method: 'eth_subscribe', params: ['newHeads'] },
          onError: (err) => {
            reject(err instanceof Error ? err : new Error('WebSocket error'));
            if (wsSub === sub) dropWs(err instanceof Error ? err.message : 'socket error');
          },
          onResponse: (msg) => {
            if (msg.error) {
              reject(new Error(msg.error.message));
              return;
            }
            if (typeof msg.id === 'number' && typeof msg.result === 'string') {
              sub.id = msg.result;
              resolve();
              return;
            }
            // biome-ignore lint/suspicious/noExplicitAny: subscription notifications are untyped JSON
            const params = (msg as any).params;
            const h = params?.result;
            if (msg.method === 'eth_subscription' && h && typeof h.number === 'string') {
              lastWsHeadAt = Date.now();
              observe({
                number: Number.parseInt(h.number, 16),
                hash: typeof h.hash === 'string' ? h.hash : null,
              });
            }
          },
        });
      });
      wsFailures = 0;
      log.debug({ host: hostOf(url) }, 'subscribed to newHeads');
    } catch (err) {
      wsFailures++;
      if (wsSub === sub) dropWs((err as Error).message);
      else {
        release();
        scheduleWs();
      }
    }
  }

  schedulePoll(0);
  if (wsUrls.length > 0) void connectWs();

  return {
    latest: () => latest,
    lastAdvanceAt: () => lastAdvanceAt,
    wsActive: wsFresh,
    wsSubscribed: () => wsSub?.id != null,
    observe,
    seq: () => seq,
    next(signal, maxWaitMs, since) {
      const at = since ?? seq;
      return new Promise<void>((resolve) => {
        if (seq !== at || signal.aborted || stopped) return resolve();
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        };
        waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
        if (maxWaitMs !== undefined) timer = setTimeout(done, maxWaitMs);
      });
    },
    stop() {
      stopped = true;
      clearTimeout(pollTimer);
      clearTimeout(wsRetryTimer);
      if (wsSub) {
        const sub = wsSub;
        wsSub = null;
        unsubscribe(sub);
      }
      const ws = waiters;
      waiters = [];
      for (const w of ws) w();
    },
  };
}
