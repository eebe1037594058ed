import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seeded-random.js';

/**
 * An HTTP JSON-RPC proxy in front of a real node (hardhat) that misbehaves like public RPC providers do, seeded so a
 * failing run can be replayed: random 5xx and connection resets, 429 with Retry-After, eth_getLogs result and range
 * caps with the providers' error wording, added latency, and a switch to take it down entirely.
 */

export interface RpcProxyOptions {
  /** Upstream JSON-RPC over HTTP. */
  target: string;
  /** PRNG seed for every random decision. Default 1. */
  seed?: number;
  /** Share of requests that fail with a 5xx or a connection reset (0..1). */
  failRate?: number;
  failModes?: Array<'5xx' | 'reset'>;
  /** Share of requests answered 429 (0..1). */
  rateLimitRate?: number;
  /**
   * Deterministic faults on top of the random ones, so a test is sure to exercise them whatever the timing: request
   * number `first` and every `every`-th one after it fail (alternating 5xx and reset), or are answered 429.
   */
  failSchedule?: { first: number; every: number };
  rateLimitSchedule?: { first: number; every: number };
  /** Retry-After header of those 429s, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** eth_getLogs returning more logs than this answers "query returned more than N results". */
  maxLogs?: number;
  /** eth_getLogs over more blocks than this answers "block range is too wide" (or `rangeMessage`). */
  maxRange?: number;
  /** The wording of the range error, e.g. QuickNode's "eth_getLogs is limited to a 10,000 range". */
  rangeMessage?: string;
  /** Append an Infura-style "Try with this block range [0x…, 0x…]." to the result-cap error. */
  suggestRange?: boolean;
  /** Added before answering: latencyMs + U(0, latencyJitterMs). */
  latencyMs?: number;
  latencyJitterMs?: number;
  /** Every request gets its connection reset. */
  down?: boolean;
  /** eth_chainId answers this instead of the upstream's id. */
  fakeChainId?: number;
  /** Refuse JSON-RPC batches the way providers without batch support do. */
  noBatch?: boolean;
}

export interface RpcProxyStats {
  requests: number;
  forwarded: number;
  failed5xx: number;
  resets: number;
  rateLimited: number;
  cappedResults: number;
  cappedRange: number;
  byMethod: Record<string, number>;
}

export interface RpcProxy {
  url: string;
  stats: RpcProxyStats;
  /** Changes behaviour from now on (e.g. `{down: true}`). */
  set(options: Partial<Omit<RpcProxyOptions, 'target' | 'seed'>>): void;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: string;
  params?: unknown[];
}

interface JsonRpcResponse {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const toHex = (n: number) => `0x${n.toString(16)}`;

export async function startRpcProxy(options: RpcProxyOptions): Promise<RpcProxy> {
  const opts: RpcProxyOptions = { ...options };
  const random = seededRandom(options.seed ?? 1);
  const stats: RpcProxyStats = {
    requests: 0,
    forwarded: 0,
    failed5xx: 0,
    resets: 0,
    rateLimited: 0,
    cappedResults: 0,
    cappedRange: 0,
    byMethod: {},
  };

  function capLogs(req: JsonRpcRequest, res: JsonRpcResponse): JsonRpcResponse {
    if (req.method !== 'eth_getLogs' || !Array.isArray(res.result)) return res;
    const filter = (req.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
    const from = typeof filter.fromBlock === 'string' ? Number.parseInt(filter.fromBlock, 16) : Number.NaN;
    const to = typeof filter.toBlock === 'string' ? Number.parseInt(filter.toBlock, 16) : Number.NaN;
    if (
      opts.maxRange !== undefined &&
      Number.isFinite(from) &&
      Number.isFinite(to) &&
      to - from + 1 > opts.maxRange
    ) {
      stats.cappedRange++;
      const message = opts.rangeMessage ?? 'block range is too wide';
      return { jsonrpc: '2.0', id: res.id, error: { code: -32600, message } };
    }
    const logs = res.result as Array<{ blockNumber: string }>;
    if (opts.maxLogs !== undefined && logs.length > opts.maxLogs) {
      stats.cappedResults++;
      let message = `query returned more than ${opts.maxLogs} results`;
      if (opts.suggestRange && Number.isFinite(from)) {
        // The longest prefix of whole blocks that fits under the cap, as Infura computes it.
        let end = from;
        let count = 0;
        let i = 0;
        while (i < logs.length) {
          const block = Number.parseInt(logs[i]!.blockNumber, 16);
          let j = i;
          while (j < logs.length && Number.parseInt(logs[j]!.blockNumber, 16) === block) j++;
          if (count + (j - i) > opts.maxLogs) break;
          count += j - i;
          end = block;
          i = j;
        }
        const suggestedTo = Math.max(from, i === 0 ? from : end);
        message += `. Try with this block range [${toHex(from)}, ${toHex(suggestedTo)}].`;
      }
      return { jsonrpc: '2.0', id: res.id, error: { code: -32005, message } };
    }
    return res;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const requestNo = ++stats.requests;
    const raw = await readAll(req);
    let parsed: JsonRpcRequest | JsonRpcRequest[];
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    for (const c of calls) stats.byMethod[c.method ?? '?'] = (stats.byMethod[c.method ?? '?'] ?? 0) + 1;

    const latency = (opts.latencyMs ?? 0) + (opts.latencyJitterMs ? random() * opts.latencyJitterMs : 0);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));

    if (opts.down) {
      stats.resets++;
      req.socket.destroy();
      return;
    }
    const scheduled = (sch: { first: number; every: number } | undefined) =>
      sch !== undefined && requestNo >= sch.first && (requestNo - sch.first) % sch.every === 0;
    if (scheduled(opts.failSchedule)) {
      if (requestNo % 2 === 0) {
        stats.resets++;
        req.socket.destroy();
      } else {
        stats.failed5xx++;
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      }
      return;
    }
    if (scheduled(opts.rateLimitSchedule)) {
      stats.rateLimited++;
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(opts.retryAfterSeconds ?? 1),
      });
      res.end(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 429, message: 'Too Many Requests' } }),
      );
      return;
    }
    if (opts.failRate && random() < opts.failRate) {
      const modes = opts.failModes ?? ['5xx', 'reset'];
      const mode = modes[Math.floor(random() * modes.length)] ?? '5xx';
      if (mode === 'reset') {
        stats.resets++;
        req.socket.destroy();
        return;
      }
      stats.failed5xx++;
      const status = random() < 0.5 ? 502 : 503;
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(`<html><body><h1>${status} Bad Gateway</h1></body></html>`);
      return;
    }
    if (opts.rateLimitRate && random() < opts.rateLimitRate) {
      stats.rateLimited++;
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(opts.retryAfterSeconds ?? 1),
      });
      res.end(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 429, message: 'Too Many Requests' } }),
      );
      return;
    }
    if (opts.noBatch && Array.isArray(parsed)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'batch requests are not supported' },
        }),
      );
      return;
    }
    if (opts.fakeChainId !== undefined && !Array.isArray(parsed) && parsed.method === 'eth_chainId') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: parsed.id, result: toHex(opts.fakeChainId) }));
      return;
    }

    let upstream: Response;
    try {
      upstream = await fetch(opts.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
    } catch {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream unreachable');
      return;
    }
    stats.forwarded++;
    const text = await upstream.text();
    let body: JsonRpcResponse | JsonRpcResponse[];
    try {
      body = JSON.parse(text);
    } catch {
      res.writeHead(upstream.status, { 'content-type': 'text/plain' });
      res.end(text);
      return;
    }
    if (Array.isArray(body) && Array.isArray(parsed)) {
      const byId = new Map(parsed.map((c) => [JSON.stringify(c.id), c]));
      body = body.map((r) => capLogs(byId.get(JSON.stringify(r.id)) ?? {}, r));
    } else if (!Array.isArray(body) && !Array.isArray(parsed)) {
      body = capLogs(parsed, body);
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    set(next) {
      Object.assign(opts, next);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
