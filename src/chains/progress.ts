import type { Logger } from 'pino';
import { unbound } from './log.js';

/**
 * Backfill progress for people: one terminal line for all chains (redrawn in place) when stdout is a TTY, otherwise
 * a pino line per chain every few seconds. Several chains share one board, so their lines do not fight.
 */

export interface BackfillProgress {
  chainId: number;
  name: string;
  fromBlock: number;
  toBlock: number;
  appliedTo: number;
  events: number;
  startedAt: number;
}

export interface ProgressBoard {
  update(p: BackfillProgress): void;
  /** The chain's backfill finished: a final line (TTY) or log. */
  done(chainId: number): void;
  close(): void;
}

export type ProgressMode = 'auto' | 'tty' | 'log' | 'off';

export interface ProgressBoardOptions {
  mode?: ProgressMode;
  logger: Logger;
  stream?: NodeJS.WriteStream;
  /** TTY redraw period. Default 250 ms. */
  ttyIntervalMs?: number;
  /** Log period. Default 5 s. */
  logIntervalMs?: number;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function summarize(p: BackfillProgress, now: number) {
  const total = Math.max(1, p.toBlock - p.fromBlock + 1);
  const done = Math.min(total, Math.max(0, p.appliedTo - p.fromBlock + 1));
  const elapsed = Math.max(0.001, (now - p.startedAt) / 1000);
  const eventsPerSec = p.events / elapsed;
  const blocksPerSec = done / elapsed;
  const etaSec = blocksPerSec > 0 ? (total - done) / blocksPerSec : Number.POSITIVE_INFINITY;
  return { done, total, percent: (100 * done) / total, eventsPerSec, blocksPerSec, etaSec };
}

export function formatLine(p: BackfillProgress, now: number): string {
  const s = summarize(p, now);
  const width = 20;
  const filled = Math.round((s.percent / 100) * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  return `${p.name} ${bar} ${s.percent.toFixed(1)}% ${s.done.toLocaleString('en-US')}/${s.total.toLocaleString('en-US')} blocks · ${Math.round(s.eventsPerSec).toLocaleString('en-US')} ev/s · ETA ${formatDuration(s.etaSec)}`;
}

export function createProgressBoard(options: ProgressBoardOptions): ProgressBoard {
  const stream = options.stream ?? process.stdout;
  const now = options.now ?? Date.now;
  const requested = options.mode ?? 'auto';
  const mode: Exclude<ProgressMode, 'auto'> =
    requested === 'auto' ? (stream.isTTY ? 'tty' : 'log') : requested;
  const active = new Map<number, BackfillProgress>();
  const lastLogAt = new Map<number, number>();
  const logEvery = options.logIntervalMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  function draw() {
    if (active.size === 0) return;
    const t = now();
    const line = [...active.values()].map((p) => formatLine(p, t)).join('  |  ');
    const cols = stream.columns ?? 160;
    stream.write(`\r\x1b[2K${line.length > cols ? `${line.slice(0, cols - 1)}…` : line}`);
    drawn = true;
  }

  function ensureTimer() {
    if (timer || mode !== 'tty') return;
    timer = setInterval(draw, options.ttyIntervalMs ?? 250);
    timer.unref?.();
  }

  function logLine(p: BackfillProgress, final: boolean) {
    const s = summarize(p, now());
    options.logger.info(
      {
        ...unbound(options.logger, { chainId: p.chainId, chain: p.name }),
        blocksDone: s.done,
        blocksTotal: s.total,
        events: p.events,
        eventsPerSec: Math.round(s.eventsPerSec),
        etaSec: final ? 0 : Number.isFinite(s.etaSec) ? Math.round(s.etaSec) : null,
      },
      final ? 'backfill done' : 'backfill progress',
    );
  }

  return {
    update(p) {
      if (mode === 'off') return;
      active.set(p.chainId, p);
      if (mode === 'tty') return ensureTimer();
      const t = now();
      const last = lastLogAt.get(p.chainId);
      if (last === undefined) lastLogAt.set(p.chainId, t);
      else if (t - last >= logEvery) {
        lastLogAt.set(p.chainId, t);
        logLine(p, false);
      }
    },
    done(chainId) {
      const p = active.get(chainId);
      if (!p) return;
      if (mode === 'tty') {
        active.delete(chainId);
        stream.write(`\r\x1b[2K${formatLine(p, now())}\n`);
        drawn = false;
        if (active.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      } else {
        active.delete(chainId);
        lastLogAt.delete(chainId);
        logLine(p, true);
      }
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (drawn && mode === 'tty') stream.write('\n');
      drawn = false;
      active.clear();
    },
  };
}
