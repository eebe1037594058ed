import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { isPushError, type PushError, pushError } from '../../errors.js';
import {
  type BatchReply,
  type BatchRequest,
  DIGEST_JOB_BYTES,
  recoverBatchInPlace,
  STATUS_OK,
  typedJobBytes,
  writeDigestJob,
  writeTypedJob,
} from './batch.js';
import { toHex } from './bytes.js';
import { flatTypedParts, typedDataDigestViem } from './digest.js';
import type { FlatTypedParts } from './envelope.js';
import {
  type Address,
  assertBackend,
  defaultBackend,
  type Hex,
  parseDigest,
  type Secp256k1Backend,
  unrecoverable,
} from './recover.js';
import { parseSignature, type SignatureParts } from './signature.js';
import type { TypedSignatureInput } from './verify-typed.js';

/**
 * A pool of worker threads that recover signers, so that signature checking — the intake's bottleneck — uses
 * every core and keeps the main thread free for I/O.
 *
 * Requests made in the same event-loop turn are gathered (micro-batching on `setImmediate`) and sent to the least
 * busy worker as one transferable buffer per batch (`batch.ts`): one postMessage per few hundred jobs instead of
 * one per job. Inputs are checked on the main thread first, so a malformed signature is refused at once and never
 * reaches a worker; typed data of the SDK's shapes travels unhashed, and the worker computes its EIP-712 digest.
 * Results come back in the order the jobs were given.
 */
export interface VerifierPool {
  /** Worker threads running; 0 means recovery runs in the calling thread. */
  readonly threads: number;
  readonly backend: Secp256k1Backend;
  /** The signer of `digest`; rejects with `PUSH_ERR_SIGNATURE_INVALID` like `recoverAddress`. */
  recover(digest: Uint8Array | Hex, signature: Hex | Uint8Array): Promise<Address>;
  /** Many jobs at once; each job settles on its own (one bad signature does not fail the others). */
  recoverBatch(jobs: readonly RecoverJob[]): Promise<RecoverResult[]>;
  /** `verifyTypedSignature` through the pool: checked here; hashed (flat structs) and recovered in a worker. */
  verifyTyped(input: TypedSignatureInput): Promise<Address>;
  /** Resolves once every worker has started; rejects if one could not (the pool then runs on the others). */
  ready(): Promise<void>;
  stats(): VerifierPoolStats;
  /** Stops taking jobs, lets the queued and in-flight ones finish, then terminates the workers. */
  close(): Promise<void>;
}

export interface RecoverJob {
  digest: Uint8Array | Hex;
  signature: Hex | Uint8Array;
}

export type RecoverResult = { ok: true; address: Address } | { ok: false; error: PushError };

export interface VerifierPoolStats {
  threads: number;
  /** Jobs waiting for the next micro-batch. */
  queued: number;
  /** Jobs sent to workers and not yet answered. */
  inFlight: number;
}

export interface VerifierPoolOptions {
  /** Worker threads; default: the number of cores. 0 = recover in the calling thread. */
  threads?: number;
  /** secp256k1 implementation in the workers; default native when its binding loads, else noble. */
  backend?: Secp256k1Backend;
  /** Most jobs per message to a worker (default 256): larger amortises more, smaller spreads load sooner. */
  maxBatch?: number;
  /** Flushes of at most this many jobs go to one worker instead of being spread (default 32). */
  minSplit?: number;
  logger?: Logger;
  /** Registers `push_node_verify_*` metrics here (one pool per registry). */
  registry?: Registry;
  /**
   * A worker that has not answered a batch after this long is terminated (its jobs fail, it is replaced): a batch
   * takes milliseconds, so only a hung worker gets there, and without it its callers and `close()` would wait for
   * ever. Default 30 s.
   */
  batchDeadlineMs?: number;
}

/** One recovery: over a digest, or over typed data the worker hashes (exactly one of the two is set). */
interface Job {
  digest: Uint8Array | null;
  typed: FlatTypedParts | null;
  sig: SignatureParts;
  done: (result: Address | PushError) => void;
}

interface Batch {
  jobs: Job[];
  /** Where each job starts in the batch's buffer: its reply is written there. */
  offsets: number[];
  /** Terminates the worker if the batch is not answered in time (set while a worker holds it). */
  deadline?: NodeJS.Timeout;
}

interface PoolWorker {
  worker: Worker;
  /** Invariant: the sum of `jobs.length` over `batches` — the load used to pick the least busy worker. */
  inFlight: number;
  batches: Map<number, Batch>;
  ready: boolean;
}

const require = createRequire(import.meta.url);

interface WorkerEntry {
  /** What `new Worker` loads: a file URL, or a script when `evaluate` is set. */
  target: URL | string;
  evaluate: boolean;
}

/**
 * Where the worker entry is. Compiled (`dist/…/pool.js`), it is the sibling `worker.js`. Run from TypeScript
 * (vitest, tsx) it is `worker.ts`, which a worker thread can load only after registering tsx's loader in that
 * thread: on Node 20, `--import tsx` in a worker's `execArgv` does not apply to the worker's own entry. So a tiny
 * bootstrap script registers tsx, then imports `worker.ts`.
 */
function workerEntry(): WorkerEntry {
  const fromTs = import.meta.url.endsWith('.ts');
  if (!fromTs) return { target: new URL('./worker.js', import.meta.url), evaluate: false };
  let api: string;
  try {
    // The ESM build of tsx's API (its CommonJS build mis-resolves its loader when required from a worker).
    const manifest = require.resolve('tsx/package.json');
    const pkg = require(manifest) as { exports: Record<string, { import?: { default?: string } }> };
    const file = pkg.exports['./esm/api']?.import?.default;
    if (!file) throw new TypeError('tsx has no ./esm/api export');
    api = new URL(file, pathToFileURL(manifest)).href;
  } catch (err) {
    throw pushError(
      'PUSH_ERR_INTERNAL',
      'Cannot start verifier workers from TypeScript sources without tsx',
      {
        hint: 'run the compiled node (npm run build) or install tsx',
        cause: err,
      },
    );
  }
  const worker = new URL('./worker.ts', import.meta.url).href;
  // An eval'd worker runs as CommonJS, where dynamic import() is available; a failure rejects unhandled, which
  // ends the worker with an 'error' the pool reports.
  const script = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
  return { target: script, evaluate: true };
}

export function createVerifierPool(options: VerifierPoolOptions = {}): VerifierPool {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 0) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', 'The verifier thread count must be a non-negative integer', {
      field: 'threads',
      details: { threads },
    });
  }
  const maxBatch = options.maxBatch ?? 256;
  const minSplit = options.minSplit ?? 32;
  if (!Number.isInteger(minSplit) || minSplit < 1) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', 'minSplit must be a positive integer', { field: 'minSplit' });
  }
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', 'maxBatch must be a positive integer', { field: 'maxBatch' });
  }
  const backend = options.backend ?? defaultBackend;
  assertBackend(backend); // the main thread runs the same code when the workers cannot
  const logger = options.logger ?? pino({ level: 'silent' });
  const batchDeadlineMs = options.batchDeadlineMs ?? 30_000;
  if (backend === 'noble' && options.backend === undefined) {
    // Chosen for want of the native binding, not by the operator: signature checks run ~25–40× slower.
    logger.warn(
      { backend },
      'secp256k1 native binding not loaded: verifying with the pure-JS fallback (noble), far slower; reinstall with install scripts enabled (npm rebuild secp256k1)',
    );
  }

  // Jobs accepted since the last flush. Invariant: while `queue` is non-empty, a flush is pending (`flushScheduled`),
  // so no job waits longer than one event-loop turn before it is sent.
  let queue: Job[] = [];
  let flushScheduled = false;
  let nextBatchId = 1;
  let closing = false;
  let closed: Promise<void> | null = null;
  let onDrained: (() => void) | null = null;
  const workers: PoolWorker[] = [];

  const metrics = options.registry ? createMetrics(options.registry, () => stats()) : null;

  // --- workers -------------------------------------------------------------------------------------------------

  let entry: WorkerEntry | null = null;
  const started: Promise<void>[] = [];

  function spawn(): Promise<void> {
    let worker: Worker;
    try {
      entry ??= workerEntry();
      worker = new Worker(entry.target, { eval: entry.evaluate, workerData: { backend } });
    } catch (err) {
      logger.error({ err }, 'cannot start a verifier worker; recovering in the calling thread');
      return Promise.reject(
        isPushError(err)
          ? err
          : pushError('PUSH_ERR_INTERNAL', 'A verifier worker could not start', { cause: err }),
      );
    }
    const pw: PoolWorker = { worker, inFlight: 0, batches: new Map(), ready: false };
    workers.push(pw);
    return new Promise<void>((resolve, reject) => {
      let startError: unknown = null;
      worker.on('message', (msg: BatchReply | { ready: true }) => {
        if ('ready' in msg) {
          pw.ready = true;
          // From now on referenced only while it holds jobs (see `track`): an idle pool never keeps node alive,
          // but a starting one does, so that `await pool.ready()` is not cut short.
          if (pw.inFlight === 0) worker.unref();
          resolve();
          return;
        }
        settleBatch(pw, msg);
      });
      worker.on('error', (err) => {
        startError ??= err;
        logger.error({ err }, 'verifier worker failed');
      });
      worker.on('exit', (code) => {
        const index = workers.indexOf(pw);
        if (index >= 0) workers.splice(index, 1);
        if (!pw.ready) {
          // It never started, so it recovered nothing: its jobs go back to the queue for the other workers, or
          // for this thread when none is left.
          const orphans = takeBatches(pw);
          if (orphans.length > 0) {
            queue = orphans.concat(queue);
            schedule();
          }
          logger.error({ code, err: startError }, 'a verifier worker could not start');
          reject(
            pushError('PUSH_ERR_INTERNAL', 'A verifier worker could not start', {
              details: { code, error: String((startError as Error)?.message ?? startError) },
              cause: startError,
            }),
          );
        } else {
          // Its in-flight jobs fail rather than retry: one of them may be what killed it.
          const lost = failBatches(pw, code);
          if (closing) {
            checkDrained();
            return;
          }
          // A worker that ran and died (out of memory, a native crash caught by node) is replaced.
          logger.warn({ code, lost }, 'verifier worker exited; starting a replacement');
          metrics?.restarts.inc();
          spawn().catch((err) => logger.error({ err }, 'replacement verifier worker failed to start'));
        }
        if (closing) checkDrained();
      });
    });
  }

  for (let i = 0; i < threads; i++) {
    const p = spawn();
    p.catch(() => {}); // observed through ready(); until then jobs go to the workers that did start
    started.push(p);
  }

  function takeBatches(pw: PoolWorker): Job[] {
    const jobs: Job[] = [];
    for (const batch of pw.batches.values()) {
      clearTimeout(batch.deadline);
      jobs.push(...batch.jobs);
    }
    pw.batches.clear();
    track(pw, -pw.inFlight);
    return jobs;
  }

  function failBatches(pw: PoolWorker, code: number): number {
    let lost = 0;
    for (const batch of pw.batches.values()) {
      clearTimeout(batch.deadline);
      const error = pushError('PUSH_ERR_INTERNAL', 'The verifier worker stopped before answering', {
        details: { exitCode: code },
      });
      for (const job of batch.jobs) job.done(error);
      lost += batch.jobs.length;
    }
    pw.batches.clear();
    track(pw, -pw.inFlight);
    return lost;
  }

  function settleBatch(pw: PoolWorker, reply: BatchReply): void {
    const batch = pw.batches.get(reply.id);
    if (!batch) return;
    pw.batches.delete(reply.id);
    clearTimeout(batch.deadline);
    track(pw, -batch.jobs.length);
    if ('error' in reply) {
      const error = pushError('PUSH_ERR_INTERNAL', `Signature recovery failed in a worker: ${reply.error}`);
      for (const job of batch.jobs) job.done(error);
      metrics?.jobs.inc({ result: 'error' }, batch.jobs.length);
    } else {
      deliver(batch, new Uint8Array(reply.buf));
    }
    if (closing) checkDrained();
  }

  function track(pw: PoolWorker, delta: number): void {
    const before = pw.inFlight;
    pw.inFlight += delta;
    if (before === 0 && pw.inFlight > 0) pw.worker.ref();
    else if (before > 0 && pw.inFlight === 0 && pw.ready) pw.worker.unref();
  }

  // --- batching ------------------------------------------------------------------------------------------------

  function schedule(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    flushScheduled = false;
    const jobs = queue;
    queue = [];
    if (jobs.length === 0) return;
    if (workers.length === 0) {
      runInThread(jobs);
      if (closing) checkDrained();
      return;
    }
    metrics?.batchSize.observe(jobs.length);
    let start = 0;
    while (start < jobs.length) {
      const remaining = jobs.length - start;
      // A small flush goes to one worker: waking a second one costs more than the recoveries it would take over.
      const size =
        remaining <= Math.min(minSplit, maxBatch)
          ? remaining
          : Math.min(maxBatch, Math.ceil(remaining / workers.length));
      send(leastBusy(), jobs.slice(start, start + size));
      start += size;
    }
  }

  function leastBusy(): PoolWorker {
    let best = workers[0]!;
    for (const w of workers) if (w.inFlight < best.inFlight) best = w;
    return best;
  }

  /** The batch's wire buffer (its own ArrayBuffer, to be transferred) and where each job starts in it. */
  function encode(jobs: Job[]): Batch & { wire: ArrayBuffer; buf: Buffer } {
    const offsets = new Array<number>(jobs.length);
    let size = 0;
    for (let i = 0; i < jobs.length; i++) {
      offsets[i] = size;
      const typed = jobs[i]!.typed;
      size += typed ? typedJobBytes(typed) : DIGEST_JOB_BYTES;
    }
    const wire = new ArrayBuffer(size);
    const buf = Buffer.from(wire);
    for (let i = 0; i < jobs.length; i++) {
      const { digest, typed, sig } = jobs[i]!;
      if (typed) writeTypedJob(buf, offsets[i]!, typed, sig.compact, sig.recovery);
      else writeDigestJob(buf, offsets[i]!, digest!, sig.compact, sig.recovery);
    }
    return { jobs, offsets, wire, buf };
  }

  function send(pw: PoolWorker, jobs: Job[]): void {
    const { wire, offsets } = encode(jobs);
    const id = nextBatchId++;
    const deadline = setTimeout(() => {
      logger.error(
        { jobs: jobs.length, afterMs: batchDeadlineMs },
        'a verifier worker did not answer: terminating it',
      );
      void pw.worker.terminate();
    }, batchDeadlineMs);
    deadline.unref();
    pw.batches.set(id, { jobs, offsets, deadline });
    track(pw, jobs.length);
    const request: BatchRequest = { id, buf: wire, count: jobs.length };
    pw.worker.postMessage(request, [wire]);
  }

  // The same code path as the workers, so threads = 0 and a pool whose workers failed behave identically.
  function runInThread(jobs: Job[]): void {
    const batch = encode(jobs);
    recoverBatchInPlace(backend, batch.buf, jobs.length);
    deliver(batch, batch.buf);
  }

  /** Settles each job from its answered slot (status ‖ address), in the order the jobs were given. */
  function deliver({ jobs, offsets }: Batch, buf: Uint8Array): void {
    let bad = 0;
    for (let i = 0; i < jobs.length; i++) {
      const at = offsets[i]!;
      if (buf[at] === STATUS_OK) jobs[i]!.done(toHex(buf, at + 1, 20));
      else {
        bad++;
        jobs[i]!.done(unrecoverable());
      }
    }
    metrics?.jobs.inc({ result: 'ok' }, jobs.length - bad);
    if (bad > 0) metrics?.jobs.inc({ result: 'unrecoverable' }, bad);
  }

  function enqueue(
    digest: Uint8Array | null,
    typed: FlatTypedParts | null,
    sig: SignatureParts,
    done: Job['done'],
  ): void {
    queue.push({ digest, typed, sig, done });
    // With no worker threads there is nothing to amortise: answer now.
    if (threads === 0) flush();
    else schedule();
  }

  function refuseWhenClosing(): PushError | null {
    return closing ? pushError('PUSH_ERR_SHUTTING_DOWN', 'The verifier pool is closed') : null;
  }

  // --- close ---------------------------------------------------------------------------------------------------

  function inFlightTotal(): number {
    let n = 0;
    for (const w of workers) n += w.inFlight;
    return n;
  }

  function checkDrained(): void {
    if (onDrained && queue.length === 0 && inFlightTotal() === 0) {
      const done = onDrained;
      onDrained = null;
      done();
    }
  }

  function stats(): VerifierPoolStats {
    return { threads: workers.length, queued: queue.length, inFlight: inFlightTotal() };
  }

  function malformed(err: unknown): PushError {
    return isPushError(err) ? err : pushError('PUSH_ERR_INTERNAL', 'Unexpected error', { cause: err });
  }

  return {
    get threads() {
      return workers.length;
    },
    backend,

    recover(digest, signature) {
      const refused = refuseWhenClosing();
      if (refused) return Promise.reject(refused);
      let hash: Uint8Array;
      let sig: SignatureParts;
      try {
        hash = parseDigest(digest);
        sig = parseSignature(signature);
      } catch (err) {
        metrics?.jobs.inc({ result: 'malformed' });
        return Promise.reject(malformed(err));
      }
      return new Promise<Address>((resolve, reject) => {
        enqueue(hash, null, sig, (r) => (typeof r === 'string' ? resolve(r) : reject(r)));
      });
    },

    recoverBatch(jobs) {
      const refused = refuseWhenClosing();
      if (refused) return Promise.reject(refused);
      const results = new Array<RecoverResult>(jobs.length);
      let pending = jobs.length;
      if (pending === 0) return Promise.resolve(results);
      return new Promise<RecoverResult[]>((resolve) => {
        const settle = (i: number, r: Address | PushError) => {
          results[i] = typeof r === 'string' ? { ok: true, address: r } : { ok: false, error: r };
          if (--pending === 0) resolve(results);
        };
        for (let i = 0; i < jobs.length; i++) {
          const job = jobs[i]!;
          let hash: Uint8Array;
          let sig: SignatureParts;
          try {
            hash = parseDigest(job?.digest, `jobs[${i}].digest`);
            sig = parseSignature(job?.signature, `jobs[${i}].signature`);
          } catch (err) {
            metrics?.jobs.inc({ result: 'malformed' });
            settle(i, malformed(err));
            continue;
          }
          enqueue(hash, null, sig, (r) => settle(i, r));
        }
      });
    },

    verifyTyped(input) {
      const refused = refuseWhenClosing();
      if (refused) return Promise.reject(refused);
      let typed: FlatTypedParts | null;
      let digest: Uint8Array | null = null;
      let sig: SignatureParts;
      try {
        sig = parseSignature(input?.signature);
        typed = flatTypedParts(input);
        if (typed === null) digest = typedDataDigestViem(input);
      } catch (err) {
        metrics?.jobs.inc({ result: 'malformed' });
        return Promise.reject(malformed(err));
      }
      return new Promise<Address>((resolve, reject) => {
        enqueue(digest, typed, sig, (r) => (typeof r === 'string' ? resolve(r) : reject(r)));
      });
    },

    async ready() {
      await Promise.all(started);
    },

    stats,

    close() {
      if (closed) return closed;
      closing = true;
      closed = (async () => {
        if (queue.length > 0) flush();
        await new Promise<void>((resolve) => {
          onDrained = resolve;
          checkDrained();
        });
        await Promise.all([...workers].map((w) => w.worker.terminate()));
        workers.length = 0;
      })();
      return closed;
    },
  };
}

function createMetrics(registry: Registry, stats: () => VerifierPoolStats) {
  return {
    jobs: new Counter({
      name: 'push_node_verify_recoveries_total',
      help: 'Signature recoveries requested from the verifier pool, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'push_node_verify_flush_jobs',
      help: 'Jobs gathered per micro-batch flush of the verifier pool',
      buckets: [1, 4, 16, 64, 256, 1024, 4096],
      registers: [registry],
    }),
    restarts: new Counter({
      name: 'push_node_verify_worker_restarts_total',
      help: 'Verifier worker threads replaced after an unexpected exit',
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'push_node_verify_pending_jobs',
      help: 'Jobs queued or in flight in the verifier pool',
      registers: [registry],
      collect() {
        const s = stats();
        this.set(s.queued + s.inFlight);
      },
    }),
  };
}
