import { describe, expect, it } from 'vitest';
import { createGroupCommit, type Settled } from './batcher.js';

/** A batch handler that records its batches; items are numbers, odd ones fail on their own. */
function recorder(fail?: (batch: number[]) => boolean) {
  const batches: number[][] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  return {
    batches,
    /** Holds the next batches until `open()`. */
    hold() {
      gate = new Promise((r) => {
        release = r;
      });
    },
    open() {
      release?.();
      gate = null;
    },
    async run(items: number[]): Promise<Settled<string>[]> {
      batches.push([...items]);
      if (gate) await gate;
      if (fail?.(items)) throw new Error(`store down for ${items.join(',')}`);
      return items.map((n) =>
        n % 2 === 1 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: `ok ${n}` },
      );
    },
  };
}

const outcome = (p: Promise<string>) =>
  p.then(
    (v) => v,
    (e: Error) => `error: ${e.message}`,
  );

describe('group commit', () => {
  it('handles the items of one turn in one batch, each with its own outcome', async () => {
    const r = recorder();
    const gc = createGroupCommit({ run: (items: number[]) => r.run(items) });
    const results = await Promise.all([2, 3, 4, 5].map((n) => outcome(gc.submit(n))));
    expect(r.batches).toEqual([[2, 3, 4, 5]]);
    expect(results).toEqual(['ok 2', 'error: bad 3', 'ok 4', 'error: bad 5']);
  });

  it('queues what arrives during a batch for the next one, and splits at maxItems', async () => {
    const r = recorder();
    const gc = createGroupCommit({ run: (items: number[]) => r.run(items), maxItems: 3 });
    r.hold();
    const first = outcome(gc.submit(0));
    await new Promise((done) => setImmediate(done)); // the first batch is now running, held
    const later = [10, 12, 14, 16, 18].map((n) => outcome(gc.submit(n)));
    expect(gc.stats()).toEqual({ queued: 5, running: true });
    r.open();
    expect(await Promise.all([first, ...later])).toEqual([
      'ok 0',
      'ok 10',
      'ok 12',
      'ok 14',
      'ok 16',
      'ok 18',
    ]);
    expect(r.batches).toEqual([[0], [10, 12, 14], [16, 18]]);
  });

  it('fails every caller of a batch whose handler throws, and the next batch works', async () => {
    const r = recorder((batch) => batch.includes(100));
    const gc = createGroupCommit({ run: (items: number[]) => r.run(items) });
    const failed = await Promise.all([100, 2, 4].map((n) => outcome(gc.submit(n))));
    expect(failed).toEqual(Array(3).fill('error: store down for 100,2,4'));
    expect(await Promise.all([2, 4].map((n) => outcome(gc.submit(n))))).toEqual(['ok 2', 'ok 4']);
  });

  it('fails a batch that answers for the wrong number of items', async () => {
    const gc = createGroupCommit<number, string>({ run: async () => [{ ok: true, value: 'one' }] });
    const results = await Promise.all([1, 2].map((n) => outcome(gc.submit(n))));
    expect(results).toEqual(Array(2).fill('error: A batch answered for a different number of items'));
  });

  it('drains: resolves once everything submitted so far is settled', async () => {
    const r = recorder();
    const gc = createGroupCommit({ run: (items: number[]) => r.run(items) });
    await gc.drain(); // idle: at once
    r.hold();
    const settled: string[] = [];
    const p = gc.submit(6).then((v) => settled.push(v));
    const drained = gc.drain().then(() => settled.push('drained'));
    await new Promise((done) => setImmediate(done));
    r.open();
    await Promise.all([p, drained]);
    expect(settled).toEqual(['ok 6', 'drained']);
    expect(gc.stats()).toEqual({ queued: 0, running: false });
  });
});
