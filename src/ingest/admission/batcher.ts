import { pushError } from '../../errors.js';

/** One item's outcome in a batch: its own result, or its own error (one bad item never fails the others). */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<T, R> {
  /**
   * Handles one batch (e.g. in one transaction) and returns one outcome per item, in order. If it throws, every
   * item of that batch fails with that error: nothing of the batch may be acknowledged.
   */
  run(items: T[]): Promise<Settled<R>[]>;
  /** Most items per batch (default 256); a longer queue is handled as several batches, one after the other. */
  maxItems?: number;
}

export interface GroupCommit<T, R> {
  /** Resolves (or rejects) once the batch holding `item` has been handled (committed, for a store). */
  submit(item: T): Promise<R>;
  /** Items waiting for the next batch, and whether a batch is running. */
  stats(): { queued: number; running: boolean };
  /** Waits until every item submitted so far is settled (items submitted meanwhile are handled too). */
  drain(): Promise<void>;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: items submitted while a batch runs wait and go together into the next one, so that under load the
 * fixed cost of a batch (a transaction and its commit, a few lookups) is shared by many callers, while a lone item
 * waits no longer than one event-loop turn. There is no timer: the batch size follows the load by itself.
 *
 * Invariant: at most one batch runs at a time, and while `queue` is non-empty either a batch is running (it starts
 * the next when it ends) or a start is scheduled (`scheduled`).
 */
export function createGroupCommit<T, R>(options: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const maxItems = options.maxItems ?? 256;
  let queue: Pending<T, R>[] = [];
  let running = false;
  let scheduled = false;
  let idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (scheduled || running) return;
    scheduled = true;
    // setImmediate rather than a microtask: requests whose bodies arrive in the same I/O phase join one batch.
    setImmediate(next);
  }

  function next(): void {
    scheduled = false;
    if (running) return;
    if (queue.length === 0) {
      idle();
      return;
    }
    const batch = queue.length <= maxItems ? queue : queue.slice(0, maxItems);
    queue = queue.length <= maxItems ? [] : queue.slice(maxItems);
    running = true;
    void runBatch(batch).finally(() => {
      running = false;
      if (queue.length > 0) next();
      else idle();
    });
  }

  function idle(): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  async function runBatch(batch: Pending<T, R>[]): Promise<void> {
    let outcomes: Settled<R>[];
    try {
      outcomes = await options.run(batch.map((p) => p.item));
      if (outcomes.length !== batch.length) {
        throw pushError('PUSH_ERR_INTERNAL', 'A batch answered for a different number of items', {
          details: { items: batch.length, outcomes: outcomes.length },
        });
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i]!;
      if (o.ok) batch[i]!.resolve(o.value);
      else batch[i]!.reject(o.error);
    }
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    stats: () => ({ queued: queue.length, running }),
    drain() {
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
