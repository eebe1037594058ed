import pino, { type Logger } from 'pino';
import { type ErrorCode, isPushError, type PushError, pushError } from '../errors.js';
import { hexToNumber } from './decode.js';
import { partLogger } from './log.js';
import type { ChainMetrics } from './metrics.js';
import { isRateLimitError, parseRangeError, parseRetryAfter } from './rpc-errors.js';
import type { BlockRef, Hex, RawLog } from './types.js';

/**
 * JSON-RPC over HTTP with several endpoints: failover, retries with exponential backoff and jitter, 429/Retry-After,
 * per-request timeouts, a response-size cap, and an eth_chainId check per endpoint. Plain fetch rather than a viem
 * transport: the indexer needs the HTTP status, the Retry-After header and the body size, which transports hide.
 */

export interface RpcClientOptions {
  chainId: number;
  urls: string[];
  /** Per attempt. Default 20 s. */
  timeoutMs?: number;
  logger?: Logger;
  metrics?: ChainMetrics;
  /** Attempts per request across all endpoints. Default 8. */
  maxAttempts?: number;
  /** Backoff after the n-th consecutive failure of an endpoint: min(max, base·2^(n-1)), halved and jittered (equal jitter). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Retry-After values above this are capped (a provider asking for an hour should not stall the node that long). */
  maxRetryAfterMs?: number;
  /** Bodies above this are abandoned; for eth_getLogs that is a range-too-large error. Default 64 MiB. */
  maxResponseBytes?: number;
  /** Calls per JSON-RPC batch (block headers); 1 disables batching. Default 50. */
  maxBatchSize?: number;
  /** Seedable randomness for the jitter (tests). */
  random?: () => number;
  /**
   * An endpoint that starts failing is logged (warn), and again when it recovers (info), at most once per this period
   * per endpoint, so a flapping URL cannot flood the log. Default 60 s.
   */
  endpointLogIntervalMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface LogFilter {
  fromBlock: number;
  toBlock: number;
  address: Hex[];
  topics: (Hex | Hex[] | null)[];
}

export interface EndpointState {
  /** host only: URLs often carry API keys */
  host: string;
  healthy: boolean;
  consecutiveFailures: number;
  chainIdVerified: boolean;
}

export interface RpcClient {
  readonly chainId: number;
  request<T>(method: string, params?: unknown[], opts?: RequestOptions): Promise<T>;
  blockNumber(opts?: RequestOptions): Promise<number>;
  /** Calls in JSON-RPC batches where the endpoint allows it (one by one otherwise); results in call order. */
  requestBatch<T>(calls: { method: string; params: unknown[] }[], opts?: RequestOptions): Promise<T[]>;
  /** null when the chain has no such block (yet). */
  getBlock(tag: number | 'latest' | 'finalized', opts?: RequestOptions): Promise<BlockRef | null>;
  /** Headers of these blocks, null for those the chain does not have. */
  getBlocks(numbers: number[], opts?: RequestOptions): Promise<(BlockRef | null)[]>;
  getLogs(filter: LogFilter, opts?: RequestOptions): Promise<RawLog[]>;
  endpoints(): EndpointState[];
}

/** `malformed`: HTTP 200 with a JSON-RPC result that cannot be the answer (null logs, logs outside the range, …). */
type FailureKind = 'unavailable' | 'timeout' | 'rate-limited' | 'rpc-error' | 'malformed';

/** A failed attempt that another attempt (maybe on another endpoint) may cure. */
class AttemptFailure {
  constructor(
    readonly kind: FailureKind,
    readonly message: string,
    readonly retryAfterMs?: number,
    readonly rpcCode?: number,
  ) {}
}

interface Endpoint {
  url: string;
  host: string;
  /** scheme://host[:port], what logs and metric labels name the endpoint by (the path and query may hold API keys). */
  origin: string;
  consecutiveFailures: number;
  /** No new attempt goes to this endpoint before this time (ms epoch). */
  cooldownUntil: number;
  /** Set once eth_chainId answered with the expected id; a mismatch throws instead. */
  chainIdVerified: boolean;
  chainIdCheck: Promise<void> | null;
  /** The chain id this endpoint serves when it is not ours: it is never asked again (a config mistake, logged). */
  wrongChain: number | null;
  /**
   * Methods this endpoint answered with a malformed result, and until when it is not asked them again. A gateway that
   * drops eth_getLogs queries usually still serves headers; their successes must not make it the preferred URL for
   * eth_getLogs again right away. Cleared by the next well-formed answer to that method.
   */
  badMethods: Map<string, { strikes: number; until: number }>;
  /** Its last attempt failed (set by the first failure, cleared by the next success). */
  failing: boolean;
  /** When it started failing (ms epoch). */
  failingSince: number;
  /** When its state was last logged (ms epoch): at most one line per endpointLogIntervalMs. */
  reportedAt: number;
  /** This failing spell has been logged (so its recovery is too). */
  reported: boolean;
  /** Failing spells that came and went unlogged (rate limit) since the last line. */
  unreported: number;
}

const FINAL_CODE: Record<FailureKind, ErrorCode> = {
  unavailable: 'PUSH_ERR_RPC_UNAVAILABLE',
  timeout: 'PUSH_ERR_RPC_TIMEOUT',
  'rate-limited': 'PUSH_ERR_RPC_RATE_LIMITED',
  'rpc-error': 'PUSH_ERR_RPC_ERROR',
  malformed: 'PUSH_ERR_RPC_ERROR',
};

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

/** `https://host[:port]` of an RPC URL: no user info, path or query, where providers put API keys. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? `${u.protocol}//${u.host}` : u.origin;
  } catch {
    return '(invalid url)';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(): PushError {
  return pushError('PUSH_ERR_SHUTTING_DOWN', 'The chain indexer is stopping');
}

export function createRpcClient(options: RpcClientOptions): RpcClient {
  const {
    chainId,
    timeoutMs = 20_000,
    logger = pino({ level: 'silent' }),
    metrics,
    maxAttempts = 8,
    backoffBaseMs = 250,
    backoffMaxMs = 15_000,
    maxRetryAfterMs = 60_000,
    maxResponseBytes = 64 * 1024 * 1024,
    maxBatchSize = 50,
    random = Math.random,
    endpointLogIntervalMs = 60_000,
  } = options;
  if (options.urls.length === 0) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `chain ${chainId} has no RPC URL`, { field: 'rpcUrls' });
  }
  const log = partLogger(logger, 'rpc', { chainId });
  const chainLabel = String(chainId);
  const endpoints: Endpoint[] = options.urls.map((url) => ({
    url,
    host: hostOf(url),
    origin: redactUrl(url),
    consecutiveFailures: 0,
    cooldownUntil: 0,
    chainIdVerified: false,
    chainIdCheck: null,
    wrongChain: null,
    badMethods: new Map(),
    failing: false,
    failingSince: 0,
    reportedAt: Number.NEGATIVE_INFINITY,
    reported: false,
    unreported: 0,
  }));
  let nextId = 1;

  function backoff(failures: number): number {
    const cap = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, failures - 1));
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  /** When `ep` may be asked `label` again: after its cooldown, and after its malformed answers to `label`. */
  function readyAtFor(ep: Endpoint, label: string): number {
    return Math.max(ep.cooldownUntil, ep.badMethods.get(label)?.until ?? 0);
  }

  /**
   * An endpoint that is not cooling down (for `label`), in configured order (the first URL is preferred, and is
   * returned to once it recovers), avoiding the one that just failed when another is ready; else the one ready soonest.
   */
  function pick(label: string, avoid?: Endpoint): Endpoint {
    const now = Date.now();
    const readyAt = (e: Endpoint) => readyAtFor(e, label);
    const usable = endpoints.filter((e) => e.wrongChain === null);
    if (usable.length === 0) throw wrongChainError();
    const ready = usable.filter((e) => readyAt(e) <= now);
    if (ready.length > 0) return ready.find((e) => e !== avoid) ?? ready[0]!;
    return usable.reduce((a, b) => (readyAt(b) < readyAt(a) ? b : a));
  }

  /** Every URL of this chain serves another chain: nothing can be indexed (fatal for the chain). */
  function wrongChainError() {
    const served = endpoints.map((e) => `${e.host} → ${e.wrongChain}`).join(', ');
    return pushError('PUSH_ERR_CHAIN_ID_MISMATCH', `no RPC URL serves chain ${chainId} (${served})`, {
      field: 'rpcUrls',
      hint: 'Point this chain at an RPC URL of the right network',
      details: { expected: chainId, served: endpoints.map((e) => ({ host: e.host, chainId: e.wrongChain })) },
    });
  }

  type JsonRpcError = { code?: number; message?: string };
  type JsonRpcReply = { id?: unknown; result?: unknown; error?: JsonRpcError };

  /** One HTTP POST: transport failures, 429, size cap and JSON parsing. Returns the parsed body. */
  async function post(
    ep: Endpoint,
    payload: unknown,
    label: string,
    opts: RequestOptions,
  ): Promise<{ res: Response; body: unknown }> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(ep.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(payload),
        signal,
      });
    } catch (err) {
      throw fetchFailure(ep, err, opts.signal, timeout);
    }
    if (res.status === 429) {
      await res.body?.cancel().catch(() => {});
      throw new AttemptFailure(
        'rate-limited',
        `HTTP 429 from ${ep.host}`,
        parseRetryAfter(res.headers.get('retry-after')),
      );
    }
    let text: string;
    try {
      text = await readBody(res, maxResponseBytes);
    } catch (err) {
      if (err instanceof ResponseTooLarge) {
        if (label === 'eth_getLogs') {
          throw pushError(
            'PUSH_ERR_RPC_RANGE_TOO_LARGE',
            `eth_getLogs response from ${ep.host} exceeds ${maxResponseBytes} bytes`,
            { details: { responseTooLarge: true, maxResponseBytes } },
          );
        }
        throw new AttemptFailure('rpc-error', `response of ${label} exceeds ${maxResponseBytes} bytes`);
      }
      throw fetchFailure(ep, err, opts.signal, timeout);
    }
    try {
      return { res, body: JSON.parse(text) };
    } catch {
      // A 5xx from a proxy or load balancer is usually HTML; either way this endpoint did not answer.
      throw new AttemptFailure('unavailable', `HTTP ${res.status} from ${ep.host} with a non-JSON body`);
    }
  }

  /** The failure a JSON-RPC error object stands for. */
  function replyError(
    ep: Endpoint,
    method: string,
    res: Response,
    error: JsonRpcError,
  ): AttemptFailure | PushError {
    const code = typeof error.code === 'number' ? error.code : undefined;
    const message = String(error.message ?? 'unknown error');
    if (method === 'eth_getLogs') {
      const hint = parseRangeError(message);
      if (hint)
        return pushError('PUSH_ERR_RPC_RANGE_TOO_LARGE', message, { details: { ...hint, rpcCode: code } });
    }
    if (isRateLimitError(code, message) || res.status === 429) {
      return new AttemptFailure(
        'rate-limited',
        `${ep.host}: ${message}`,
        parseRetryAfter(res.headers.get('retry-after')),
        code,
      );
    }
    return new AttemptFailure('rpc-error', `${ep.host}: ${message}`, undefined, code);
  }

  function observe(ep: Endpoint, label: string, started: number, err?: unknown) {
    if (!metrics) return;
    const outcome =
      err === undefined
        ? 'ok'
        : err instanceof AttemptFailure
          ? err.kind
          : isPushError(err)
            ? err.code
            : 'error';
    metrics.rpcRequests.inc({ chain_id: chainLabel, method: label, outcome, endpoint: ep.origin });
    metrics.rpcDuration.observe(
      { chain_id: chainLabel, method: label },
      (performance.now() - started) / 1000,
    );
  }

  async function send(
    ep: Endpoint,
    method: string,
    params: unknown[],
    opts: RequestOptions,
  ): Promise<unknown> {
    const started = performance.now();
    try {
      const { res, body } = await post(ep, { jsonrpc: '2.0', id: nextId++, method, params }, method, opts);
      const reply = body as JsonRpcReply | null;
      if (reply?.error) throw replyError(ep, method, res, reply.error);
      if (!res.ok || !reply || typeof reply !== 'object' || !('result' in reply)) {
        throw new AttemptFailure('unavailable', `HTTP ${res.status} from ${ep.host}`);
      }
      const bad = checkResult(method, params, reply.result);
      if (bad) throw malformed(ep, method, bad);
      ep.badMethods.delete(method);
      observe(ep, method, started);
      return reply.result;
    } catch (err) {
      observe(ep, method, started, err);
      throw err;
    }
  }

  /**
   * One JSON-RPC batch. Each entry is a result or the failure of that call; a body that is not an array means the
   * endpoint does not do batches (BatchUnsupported).
   */
  async function sendBatch(
    ep: Endpoint,
    calls: { method: string; params: unknown[] }[],
    opts: RequestOptions,
  ): Promise<Array<{ ok: true; result: unknown } | { ok: false; error: unknown }>> {
    const started = performance.now();
    const label = `batch:${calls[0]!.method}`;
    try {
      const first = nextId;
      nextId += calls.length;
      const payload = calls.map((c, i) => ({
        jsonrpc: '2.0',
        id: first + i,
        method: c.method,
        params: c.params,
      }));
      const { res, body } = await post(ep, payload, label, opts);
      if (!Array.isArray(body)) {
        const err = (body as JsonRpcReply | null)?.error;
        if (err && (isRateLimitError(err.code, String(err.message ?? '')) || res.status === 429)) {
          throw replyError(ep, label, res, err);
        }
        if (res.status >= 500) throw new AttemptFailure('unavailable', `HTTP ${res.status} from ${ep.host}`);
        throw new BatchUnsupported(String(err?.message ?? `HTTP ${res.status}`));
      }
      const byId = new Map<unknown, JsonRpcReply>();
      for (const r of body as JsonRpcReply[]) byId.set(r?.id, r);
      const out = calls.map((c, i) => {
        const r = byId.get(first + i);
        if (!r)
          return {
            ok: false as const,
            error: new AttemptFailure('rpc-error', `batch reply lacks id ${first + i}`),
          };
        if (r.error) return { ok: false as const, error: replyError(ep, c.method, res, r.error) };
        const bad = checkResult(c.method, c.params, r.result);
        // Retried alone (request → withRetries), where the endpoint is marked and another one asked.
        if (bad) return { ok: false as const, error: malformed(ep, c.method, bad) };
        return { ok: true as const, result: r.result };
      });
      observe(ep, label, started);
      return out;
    } catch (err) {
      observe(ep, label, started, err);
      throw err;
    }
  }
  async function verifyChainId(ep: Endpoint, opts: RequestOptions): Promise<void> {
    if (ep.chainIdVerified) return;
    // One check in flight per endpoint: concurrent first requests share it.
    ep.chainIdCheck ??= (async () => {
      const result = await send(ep, 'eth_chainId', [], opts);
      const served = typeof result === 'string' ? Number.parseInt(result, 16) : Number.NaN;
      if (served !== chainId) {
        // One wrong URL among several is skipped for good, loudly; the chain stops only if none is right.
        ep.wrongChain = served;
        log.error(
          { host: ep.host, expected: chainId, served, code: 'PUSH_ERR_CHAIN_ID_MISMATCH' },
          'RPC URL serves another chain; not using it',
        );
        if (endpoints.every((e) => e.wrongChain !== null)) throw wrongChainError();
        throw new AttemptFailure('unavailable', `${ep.host} serves chain ${served}`);
      }
      ep.chainIdVerified = true;
    })().finally(() => {
      ep.chainIdCheck = null;
    });
    return ep.chainIdCheck;
  }

  /**
   * Endpoint state for operators: one warn line when an endpoint starts failing, one info line when it answers again,
   * each endpoint at most once per endpointLogIntervalMs (spells in between are counted in the next line). A failing
   * endpoint whose spell went unlogged is logged on a later failure once the period has passed, so the last line about
   * an endpoint that stays down never says it recovered. Per-attempt detail stays at debug ('rpc retry').
   */
  function noteFailing(ep: Endpoint, err: AttemptFailure) {
    // A URL of another chain is logged at error once (verifyChainId) and never asked again.
    if (ep.wrongChain !== null) return;
    const now = Date.now();
    if (!ep.failing) {
      ep.failing = true;
      ep.failingSince = now;
      ep.reported = false;
    }
    if (ep.reported || now - ep.reportedAt < endpointLogIntervalMs) return;
    const others = endpoints.filter((e) => e !== ep && e.wrongChain === null).length;
    log.warn(
      {
        endpoint: ep.origin,
        kind: err.kind,
        err: err.message,
        failingForMs: now - ep.failingSince,
        otherEndpoints: others,
        ...(ep.unreported > 0 ? { unloggedFlaps: ep.unreported } : {}),
      },
      others > 0 ? 'RPC endpoint failing; using the other URLs meanwhile' : 'RPC endpoint failing; retrying',
    );
    ep.reported = true;
    ep.reportedAt = now;
    ep.unreported = 0;
  }

  function noteRecovered(ep: Endpoint) {
    if (!ep.failing) return;
    ep.failing = false;
    if (!ep.reported) {
      ep.unreported++;
      return;
    }
    const now = Date.now();
    log.info({ endpoint: ep.origin, failedForMs: now - ep.failingSince }, 'RPC endpoint answers again');
    ep.reported = false;
    ep.reportedAt = now;
  }

  /** Runs `attempt` on endpoints until it succeeds, a non-retryable error comes, or the attempts are used up. */
  async function withRetries<T>(
    label: string,
    opts: RequestOptions,
    attempt: (ep: Endpoint) => Promise<T>,
  ): Promise<T> {
    let last: AttemptFailure | undefined;
    let previous: Endpoint | undefined;
    for (let n = 1; n <= maxAttempts; n++) {
      if (opts.signal?.aborted) throw abortError();
      const ep = pick(label, previous);
      if (previous && ep !== previous) metrics?.rpcFailovers.inc({ chain_id: chainLabel });
      const wait = readyAtFor(ep, label) - Date.now();
      if (wait > 0) await sleep(wait, opts.signal);
      try {
        await verifyChainId(ep, opts);
        const result = await attempt(ep);
        ep.consecutiveFailures = 0;
        noteRecovered(ep);
        return result;
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        last = err;
        previous = ep;
        ep.consecutiveFailures++;
        noteFailing(ep, err);
        const delay =
          err.kind === 'rate-limited' && err.retryAfterMs !== undefined
            ? Math.min(err.retryAfterMs, maxRetryAfterMs)
            : backoff(ep.consecutiveFailures);
        ep.cooldownUntil = Math.max(ep.cooldownUntil, Date.now() + delay);
        if (err.kind === 'malformed') {
          const strikes = (ep.badMethods.get(label)?.strikes ?? 0) + 1;
          ep.badMethods.set(label, { strikes, until: Date.now() + backoff(strikes + 2) });
        }
        log.debug(
          { method: label, host: ep.host, attempt: n, kind: err.kind, delayMs: delay, err: err.message },
          'rpc retry',
        );
      }
    }
    const kind = last?.kind ?? 'unavailable';
    const hosts = endpoints.map((e) => e.host);
    log.warn({ method: label, kind, hosts, err: last?.message }, 'rpc request failed after retries');
    throw pushError(
      FINAL_CODE[kind],
      `${label} failed after ${maxAttempts} attempts: ${last?.message ?? kind}`,
      {
        hint:
          kind === 'rate-limited'
            ? 'Add another RPC URL for this chain or lower the request rate'
            : kind === 'malformed'
              ? 'The RPC endpoint answers with results that cannot be right; add another RPC URL for this chain'
              : 'Check that the chain RPC URLs are reachable; add a fallback URL',
        details: {
          method: label,
          attempts: maxAttempts,
          hosts,
          rpcCode: last?.rpcCode,
          ...(kind === 'malformed' ? { malformed: true } : {}),
        },
      },
    );
  }

  function request<T>(method: string, params: unknown[] = [], opts: RequestOptions = {}): Promise<T> {
    return withRetries(method, opts, (ep) => send(ep, method, params, opts)) as Promise<T>;
  }

  // Cleared (for the whole client) the first time an endpoint answers a batch with something that is not an array.
  let batching = maxBatchSize > 1;

  async function requestBatch<T>(
    calls: { method: string; params: unknown[] }[],
    opts: RequestOptions = {},
  ): Promise<T[]> {
    if (!batching || calls.length < 2)
      return Promise.all(calls.map((c) => request<T>(c.method, c.params, opts)));
    const out: T[] = new Array(calls.length);
    for (let at = 0; at < calls.length; at += maxBatchSize) {
      const chunk = calls.slice(at, at + maxBatchSize);
      let replies: Awaited<ReturnType<typeof sendBatch>>;
      try {
        replies = await withRetries(`batch:${chunk[0]!.method}`, opts, (ep) => sendBatch(ep, chunk, opts));
      } catch (err) {
        if (!(err instanceof BatchUnsupported)) throw err;
        batching = false;
        log.info({ reason: err.message }, 'RPC endpoint refuses JSON-RPC batches; sending calls one by one');
        const rest = await Promise.all(calls.slice(at).map((c) => request<T>(c.method, c.params, opts)));
        rest.forEach((r, i) => {
          out[at + i] = r;
        });
        return out;
      }
      // Calls that failed inside the batch get the single-call treatment (retries, failover, error mapping).
      await Promise.all(
        replies.map(async (r, i) => {
          if (r.ok) out[at + i] = r.result as T;
          else if (isPushError(r.error)) throw r.error;
          else out[at + i] = await request<T>(chunk[i]!.method, chunk[i]!.params, opts);
        }),
      );
    }
    return out;
  }

  return {
    chainId,
    request,
    async blockNumber(opts) {
      return hexToNumber(await request<string>('eth_blockNumber', [], opts));
    },
    requestBatch,
    async getBlock(tag, opts) {
      const t = typeof tag === 'number' ? `0x${tag.toString(16)}` : tag;
      return toBlockRef(await request<RawBlock | null>('eth_getBlockByNumber', [t, false], opts));
    },
    async getBlocks(numbers, opts) {
      const calls = numbers.map((n) => ({
        method: 'eth_getBlockByNumber',
        params: [`0x${n.toString(16)}`, false],
      }));
      return (await requestBatch<RawBlock | null>(calls, opts)).map(toBlockRef);
    },
    getLogs(filter, opts) {
      return request<RawLog[]>(
        'eth_getLogs',
        [
          {
            fromBlock: `0x${filter.fromBlock.toString(16)}`,
            toBlock: `0x${filter.toBlock.toString(16)}`,
            address: filter.address,
            topics: filter.topics,
          },
        ],
        opts,
      );
    },
    endpoints() {
      const now = Date.now();
      return endpoints.map((e) => ({
        host: e.host,
        healthy: e.wrongChain === null && e.cooldownUntil <= now,
        consecutiveFailures: e.consecutiveFailures,
        chainIdVerified: e.chainIdVerified,
      }));
    },
  };
}

function malformed(ep: Endpoint, method: string, why: string): AttemptFailure {
  return new AttemptFailure('malformed', `${ep.host}: malformed ${method} result: ${why}`);
}

const HEX_QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const isQuantity = (v: unknown): v is string => typeof v === 'string' && HEX_QUANTITY.test(v);
/** A block number parameter as a number; undefined for tags ('latest', …) and anything else. */
const blockParam = (v: unknown): number | undefined =>
  isQuantity(v) ? Number.parseInt(v, 16) : typeof v === 'number' ? v : undefined;

/**
 * Why `result` cannot be the answer to this call, or null when it may be. Only the methods the indexer reads are
 * checked; an answer that fails is a failure of the endpoint (retried, then another URL asked), never a result.
 */
export function checkResult(method: string, params: readonly unknown[], result: unknown): string | null {
  switch (method) {
    case 'eth_chainId':
    case 'eth_blockNumber':
      return isQuantity(result) ? null : `expected a hex quantity, got ${describe(result)}`;
    case 'eth_getBlockByNumber':
      return checkBlock(result, blockParam(params[0]));
    case 'eth_getLogs': {
      const f = (params[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown };
      return checkLogs(result, {
        fromBlock: blockParam(f.fromBlock),
        toBlock: blockParam(f.toBlock),
        blockHash: typeof f.blockHash === 'string' ? f.blockHash : undefined,
      });
    }
    default:
      return null;
  }
}

/** A header (null: the endpoint does not have the block) of block `number` when one was asked for. */
function checkBlock(result: unknown, number: number | undefined): string | null {
  if (result === null) return null;
  if (typeof result !== 'object' || Array.isArray(result)) return `expected a block, got ${describe(result)}`;
  const b = result as Partial<RawBlock>;
  if (!isQuantity(b.number) || !isQuantity(b.timestamp)) return 'block without number or timestamp';
  if (typeof b.hash !== 'string' || typeof b.parentHash !== 'string')
    return 'block without hash or parentHash';
  if (b.logsBloom !== undefined && typeof b.logsBloom !== 'string')
    return 'block with a non-string logsBloom';
  const n = Number.parseInt(b.number, 16);
  if (number !== undefined && n !== number) return `asked for block ${number}, got block ${n}`;
  return null;
}

/**
 * An eth_getLogs result must be an array of logs, every one of them inside the asked range (or of the asked block).
 * Some load-balanced providers and proxies answer with logs of other blocks: applied, such a log would be out of
 * order, and recorded as seen before its own range is read. One pass, no allocation: this runs on every result.
 */
export function checkLogs(
  result: unknown,
  filter: { fromBlock?: number | undefined; toBlock?: number | undefined; blockHash?: string | undefined },
): string | null {
  if (!Array.isArray(result)) return `expected an array of logs, got ${describe(result)}`;
  const from = filter.fromBlock ?? Number.NEGATIVE_INFINITY;
  const to = filter.toBlock ?? Number.POSITIVE_INFINITY;
  const hash = filter.blockHash?.toLowerCase();
  for (let i = 0; i < result.length; i++) {
    const l = result[i] as Partial<RawLog> | null;
    if (
      l === null ||
      typeof l !== 'object' ||
      typeof l.blockNumber !== 'string' ||
      typeof l.blockHash !== 'string' ||
      typeof l.logIndex !== 'string' ||
      typeof l.transactionHash !== 'string' ||
      typeof l.transactionIndex !== 'string' ||
      typeof l.address !== 'string' ||
      typeof l.data !== 'string' ||
      !Array.isArray(l.topics)
    ) {
      return `log ${i} is not a log object`;
    }
    const n = Number.parseInt(l.blockNumber, 16);
    if (!(n >= from && n <= to)) {
      return `log ${i} is of block ${l.blockNumber}, outside the asked range ${from}..${to}`;
    }
    if (hash !== undefined && l.blockHash.toLowerCase() !== hash) {
      return `log ${i} is of block ${l.blockHash}, not the asked ${hash}`;
    }
  }
  return null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v;
}

class ResponseTooLarge extends Error {}
class BatchUnsupported extends Error {}

type RawBlock = { number: Hex; hash: Hex; parentHash: Hex; timestamp: Hex; logsBloom?: Hex };

function toBlockRef(b: RawBlock | null): BlockRef | null {
  if (!b) return null;
  const ref: BlockRef = {
    number: hexToNumber(b.number),
    hash: b.hash.toLowerCase() as Hex,
    parentHash: b.parentHash.toLowerCase() as Hex,
    timestamp: hexToNumber(b.timestamp),
  };
  if (b.logsBloom) ref.logsBloom = b.logsBloom.toLowerCase() as Hex;
  return ref;
}

async function readBody(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new ResponseTooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new ResponseTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function fetchFailure(
  ep: Endpoint,
  err: unknown,
  external: AbortSignal | undefined,
  timeout: AbortSignal,
): unknown {
  if (external?.aborted) return abortError();
  if (timeout.aborted) return new AttemptFailure('timeout', 'request timed out');
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? `${err.message}${cause}` : String(err);
  // fetch names the whole URL in some errors ("Failed to parse URL from …"): never log its path or query.
  return new AttemptFailure('unavailable', message.split(ep.url).join(ep.origin));
}
