import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../src/store/index.js';

export interface HeldTransaction {
  /** Lets the transaction finish; resolves once it has committed. */
  release(): Promise<void>;
}

/**
 * Opens a transaction on `db`, runs `write` in it and keeps it open (as a chain batch does while it applies its logs)
 * until `release()`. Resolves once `write` is done; rejects with its error.
 */
export async function holdTransaction(
  db: Kysely<DB>,
  write: (tx: Transaction<DB>) => Promise<void>,
): Promise<HeldTransaction> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let written!: () => void;
  const ready = new Promise<void>((resolve) => {
    written = resolve;
  });
  const committed = db.transaction().execute(async (tx) => {
    await write(tx);
    written();
    await gate;
  });
  await Promise.race([ready, committed]);
  return {
    async release() {
      open();
      await committed;
    },
  };
}

/**
 * `work`'s result, or a clear failure if it has not settled in 5 s: a read stuck behind a held transaction would
 * otherwise hang the test until its timeout, and the transaction would never be released.
 */
export async function answeredWhileHeld<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} got no answer in 5 s: it is waiting for the open write transaction`)),
      5_000,
    );
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}
