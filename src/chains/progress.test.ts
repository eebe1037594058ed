import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createProgressBoard, formatDuration, formatLine, summarize } from './progress.js';

const p = {
  chainId: 1,
  name: 'sepolia',
  fromBlock: 101,
  toBlock: 300,
  appliedTo: 150,
  events: 5_000,
  startedAt: 0,
};

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('backfill progress', () => {
  it('computes done/total, rate and ETA', () => {
    const s = summarize(p, 10_000);
    expect(s).toMatchObject({ done: 50, total: 200, percent: 25, eventsPerSec: 500 });
    expect(s.etaSec).toBeCloseTo(30);
    expect(formatLine(p, 10_000)).toContain('sepolia');
    expect(formatLine(p, 10_000)).toContain('50/200 blocks · 500 ev/s · ETA 30s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('logs every few seconds when stdout is not a terminal', () => {
    const { lines, stream } = capture();
    let now = 0;
    const board = createProgressBoard({
      mode: 'log',
      logger: pino(stream),
      logIntervalMs: 5_000,
      now: () => now,
    });
    board.update(p);
    now = 2_000;
    board.update({ ...p, appliedTo: 160 });
    now = 6_000;
    board.update({ ...p, appliedTo: 200 });
    board.done(1);
    const msgs = lines.map((l) => JSON.parse(l));
    expect(msgs.map((m) => m.msg)).toEqual(['backfill progress', 'backfill done']);
    expect(msgs[0]).toMatchObject({ chainId: 1, blocksDone: 100, blocksTotal: 200 });
    board.close();
  });

  it('draws one line for all chains on a terminal', async () => {
    const { lines, stream } = capture();
    const board = createProgressBoard({
      mode: 'tty',
      logger: pino({ level: 'silent' }),
      stream: stream as unknown as NodeJS.WriteStream,
      ttyIntervalMs: 10,
      now: () => 10_000,
    });
    board.update(p);
    board.update({ ...p, chainId: 2, name: 'amoy' });
    await new Promise((r) => setTimeout(r, 40));
    board.done(1);
    board.close();
    const drawn = lines.find((l) => l.includes('sepolia') && l.includes('amoy'));
    expect(drawn?.startsWith('\r\x1b[2K')).toBe(true);
    expect(lines.some((l) => l.endsWith('\n') && l.includes('sepolia'))).toBe(true);
  });
});
