/**
 * The newest `need` broadcasts a reader receives across all their subscription periods, read in rounds of probes
 * instead of `need` rows from every period (a page-5 read of a 50-channel reader used to walk 2,500 rows for 50).
 *
 * Round 1 reads a small window from every period. Let T be the need-th newest item known so far (broadcasts that
 * passed the settings filter, plus `others`: the reader's feed entries, which compete for the same page). A period
 * can still hold an item of the top `need` only if it filled its window and its oldest row read is newer than T;
 * only those periods are read again, below that row. When none is left, every item of the true top `need` has been
 * read: one not read would be older than its period's last row read, hence older than T, and T already has `need`
 * items at least as new as it.
 */
import type { ChannelSetting } from '../../protocol/index.js';
import { reachesSubscriber } from './feed-item.js';
import type { BroadcastReader, FeedKey, Period, ProbeRow } from './feed-probes.js';

export interface MergeDeps {
  reader: Pick<BroadcastReader, 'nextRound'>;
  /** Parsed settings of these channels (only asked for channels that sent a row with an index). */
  channelSettings(channels: readonly string[]): Promise<Map<string, ChannelSetting[] | null>>;
}

export interface MergeQuery {
  need: number;
  /** Items from other sources that take places in the same top `need`. */
  others: readonly FeedKey[];
  /** The first round, already read: every period with its newest `window` rows, newest first. */
  first: readonly { period: Period; rows: ProbeRow[] }[];
  window: number;
}

export const newestFirst = (a: FeedKey, b: FeedKey) => (b.ts !== a.ts ? b.ts - a.ts : b.id - a.id);
const isNewer = (a: FeedKey, b: FeedKey) => newestFirst(a, b) < 0;

/** Later rounds read at least twice the previous window, up to this, so heavy settings filtering takes few rounds. */
const MAX_GROWTH_WINDOW = 1024;

interface Source {
  period: Period;
  /** The last (oldest) row read: the next round reads below it. */
  last: FeedKey;
  window: number;
  done: boolean;
}

/** Broadcasts that passed the settings filter; among them, every one that belongs to the top `need` with `others`. */
export async function newestBroadcasts(deps: MergeDeps, q: MergeQuery): Promise<FeedKey[]> {
  const { others, first, window } = q;
  const sources: Source[] = first.map(({ period }) => ({
    period,
    last: { ts: 0, id: 0 },
    window,
    done: false,
  }));
  let open = sources;
  let batch: ProbeRow[][] = first.map((f) => f.rows);
  const settings = new Map<string, ChannelSetting[] | null>();
  const passed: FeedKey[] = [];
  for (;;) {
    const unknown = new Set<string>();
    for (const [i, s] of open.entries())
      if (batch[i]?.some((r) => r.idx !== null) && !settings.has(s.period.channel))
        unknown.add(s.period.channel);
    if (unknown.size > 0) for (const [c, v] of await deps.channelSettings([...unknown])) settings.set(c, v);
    for (const [i, s] of open.entries()) {
      const rows = batch[i] ?? [];
      if (rows.length < s.window) s.done = true;
      const last = rows.at(-1);
      if (last) s.last = { ts: last.ts, id: last.id };
      const cs = settings.get(s.period.channel) ?? null;
      for (const r of rows)
        if (r.idx === null || reachesSubscriber(cs, s.period.settings_raw, r.idx))
          passed.push({ id: r.id, ts: r.ts });
    }
    const known = [...others, ...passed].sort(newestFirst);
    const threshold = known.length >= q.need ? known[q.need - 1] : undefined;
    open = sources.filter((s) => !s.done && (threshold === undefined || isNewer(s.last, threshold)));
    if (open.length === 0) return passed;
    for (const s of open) {
      // Items newer than this period's last row keep their places whatever it still holds: at most need - k more.
      const k = countNewer(known, s.last);
      s.window = Math.max(q.need - k, Math.min(2 * s.window, MAX_GROWTH_WINDOW));
    }
    batch = await deps.reader.nextRound(
      open.map((s) => ({
        channel: s.period.channel,
        fromTs: s.period.from_ts,
        upper: s.last,
        window: s.window,
      })),
    );
  }
}

/** How many of `sorted` (newest first) are strictly newer than `key`. */
function countNewer(sorted: readonly FeedKey[], key: FeedKey): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isNewer(sorted[mid] as FeedKey, key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
