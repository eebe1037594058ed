import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/**
 * Copies the SQLite write-ahead log back into the database file from a worker thread with its own connection.
 *
 * Why: left to itself, SQLite checkpoints inside the commit that pushes the WAL past `wal_autocheckpoint` pages, on
 * the committing thread, with two fsyncs. During a backfill that was a third of all the time spent storing, and it
 * blocked the event loop (API requests included) for the whole checkpoint. A PASSIVE checkpoint from another
 * connection never blocks the writer or readers; the main connection keeps a high autocheckpoint as a backstop in
 * case this thread dies.
 */

/** Plain CommonJS so the worker needs no TypeScript loader, from source or from dist alike. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage({ closed: true });
});
`;

export interface Checkpointer {
  /** Runs a last checkpoint and closes the worker's connection (before the main connection closes). */
  close(): Promise<void>;
}

export function startCheckpointer(opts: {
  path: string;
  intervalMs?: number;
  logger?: Logger;
}): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: opts.path,
      intervalMs: opts.intervalMs ?? 200,
    },
  });
  worker.unref();
  let exited = false;
  worker.on('message', (m: { error?: string }) => {
    if (m.error) opts.logger?.warn({ err: m.error, path: opts.path }, 'sqlite checkpoint failed');
  });
  worker.on('error', (err) => opts.logger?.warn({ err, path: opts.path }, 'sqlite checkpointer stopped'));
  worker.on('exit', () => {
    exited = true;
  });
  return {
    async close() {
      if (exited) return;
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('exit', done);
        worker.on('message', (m: { closed?: boolean }) => {
          if (m.closed) void worker.terminate();
        });
        worker.postMessage('close');
      });
    },
  };
}
