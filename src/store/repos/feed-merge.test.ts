import { describe, expect, it } from 'vitest';
import { newestBroadcasts, newestFirst } from './feed-merge.js';
import type { FeedKey, Period, Probe, ProbeRow } from './feed-probes.js';

/** A reader over rows held in memory, counting what the merge makes it read. */
function memoryReader(byChannel: Map<string, ProbeRow[]>, periods: Period[]) {
  const stats = { rounds: 0, rows: 0 };
  const probe = (p: Probe): ProbeRow[] => {
    const rows = (byChannel.get(p.channel) ?? [])
      .filter((r) => r.ts >= p.fromTs && newestFirst(p.upper, r) < 0)
      .sort(newestFirst)
      .slice(0, p.window);
    stats.rows += rows.length;
    return rows;
  };
  const reader = {
    async firstRound(window: number) {
      stats.rounds++;
      return periods.map((period) => ({
        period,
        rows: probe({
          channel: period.channel,
          fromTs: period.from_ts,
          upper: { ts: period.to_ts, id: 0 },
          window,
        }),
      }));
    },
    async nextRound(probes: readonly Probe[]) {
      stats.rounds++;
      return probes.map(probe);
    },
  };
  return { reader, stats };
}

/** The merge as a feed read runs it: the first round read first, at `window` rows per period. */
async function merge(
  reader: ReturnType<typeof memoryReader>['reader'],
  q: { need: number; others: FeedKey[]; window: number },
) {
  const first = await reader.firstRound(q.window);
  return newestBroadcasts({ reader, channelSettings: noSettings }, { ...q, first });
}

const OPEN = 8_640_000_000_000_000;

function store(channels: number, perChannel: number, ts: (c: number, i: number) => number) {
  const byChannel = new Map<string, ProbeRow[]>();
  let id = 0;
  for (let c = 0; c < channels; c++) {
    const rows: ProbeRow[] = [];
    for (let i = 0; i < perChannel; i++) rows.push({ id: ++id, ts: ts(c, i), idx: null });
    byChannel.set(`c${c}`, rows);
  }
  const periods = [...byChannel.keys()].map((channel) => ({
    channel,
    from_ts: 0,
    to_ts: OPEN,
    settings_raw: null,
  }));
  const all = [...byChannel.values()].flat().sort(newestFirst);
  return { byChannel, periods, all };
}

const noSettings = async () => new Map();
const top = (keys: FeedKey[], n: number) => [...keys].sort(newestFirst).slice(0, n);

describe('newestBroadcasts', () => {
  it('reads a few rows per channel for a deep page when channels interleave', async () => {
    const { byChannel, periods, all } = store(50, 1000, (c, i) => i * 50 + c);
    const { reader, stats } = memoryReader(byChannel, periods);
    const got = await merge(reader, { need: 50, others: [], window: 4 });
    expect(top(got, 50)).toEqual(all.slice(0, 50).map(({ id, ts }) => ({ id, ts })));
    // The old reading took 50 rows from every channel: 2,500.
    expect(stats.rows).toBeLessThanOrEqual(50 * 4 + 50 * 2);
    expect(stats.rounds).toBeLessThanOrEqual(2);
  });

  it('reads one channel on when it alone holds the newest page', async () => {
    const { byChannel, periods, all } = store(50, 1000, (c, i) => (c === 7 ? 1_000_000 + i : i));
    const { reader, stats } = memoryReader(byChannel, periods);
    const got = await merge(reader, { need: 30, others: [], window: 4 });
    expect(top(got, 30)).toEqual(all.slice(0, 30).map(({ id, ts }) => ({ id, ts })));
    expect(stats.rows).toBeLessThanOrEqual(50 * 4 + 30);
    expect(stats.rounds).toBe(2);
  });

  it('lets items of other sources end the merge: nothing is read again when they fill the page', async () => {
    const { byChannel, periods } = store(10, 100, (c, i) => i * 10 + c);
    const others = Array.from({ length: 20 }, (_, i) => ({ id: 10_000 + i, ts: 1_000_000 + i }));
    const { reader, stats } = memoryReader(byChannel, periods);
    await merge(reader, { need: 20, others, window: 4 });
    expect(stats.rounds).toBe(1);
  });
});
