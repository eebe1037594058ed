import { chunks, inKeyOrder, insertRows } from '../store/bulk.js';
import { journalRow } from '../store/repos/tables.js';
import {
  OPEN_PERIOD_END,
  type SubscriptionEventsTable,
  type SubscriptionPeriodsTable,
} from '../store/schema.js';
import type { Executor, Writer } from '../store/writer.js';

/** The opt-in state of one (channel, subscriber) pair after a change, as live listeners receive it. */
export interface SubscriptionRow {
  channel: string;
  subscriber: string;
  subscribed: boolean;
  settingsRaw: string | null;
}

/** One opt-in or opt-out command, whatever door it came through (chain event, signed HTTP request, peer). */
export interface SubscriptionCommand {
  /** Core-chain channel address (lower-case); alias-chain commands are resolved to it before. */
  channel: string;
  subscriber: string;
  subscribed: boolean;
  /** Raw user-settings string (`<notifID>+<s1>+…`) or null to keep none. */
  settingsRaw: string | null;
  /** When the command was made: block time for chain events, receipt time for signed requests (ms). */
  ts: number;
  /** Deterministic tie-breaker for equal `ts` (see `chainOrderKey`). */
  order: string;
  proof: string;
  origin: string | null;
  chainId: number | null;
}

/** Orders chain commands by (block, logIndex) within a chain; zero-padded so string order is numeric order. */
export function chainOrderKey(chainId: number, blockNumber: number, logIndex: number): string {
  return `c:${chainId}:${String(blockNumber).padStart(12, '0')}:${String(logIndex).padStart(6, '0')}`;
}

type Period = Omit<SubscriptionPeriodsTable, 'channel' | 'subscriber'>;

/**
 * The periods a command history implies, replayed in (ts, order) order: a subscribe opens a period (or, with other
 * settings, closes the open one and opens the next), an unsubscribe closes it. Empty periods ([t, t)) are dropped,
 * so from_ts is unique per (channel, subscriber).
 */
export function periodsOf(
  events: readonly Pick<SubscriptionEventsTable, 'ts' | 'ts_order' | 'subscribed' | 'settings_raw'>[],
): Period[] {
  const sorted = [...events].sort((a, b) =>
    a.ts !== b.ts ? a.ts - b.ts : a.ts_order < b.ts_order ? -1 : a.ts_order > b.ts_order ? 1 : 0,
  );
  const out: Period[] = [];
  let open: Period | null = null;
  const close = (at: number) => {
    if (!open) return;
    open.to_ts = at;
    if (open.to_ts > open.from_ts) out.push(open);
    open = null;
  };
  for (const e of sorted) {
    if (e.subscribed) {
      if (open && (open as Period).settings_raw === e.settings_raw) continue;
      close(e.ts);
      open = { from_ts: e.ts, to_ts: OPEN_PERIOD_END, settings_raw: e.settings_raw };
    } else {
      close(e.ts);
    }
  }
  if (open) out.push(open);
  // A later period may start at the same ts an earlier one was dropped at; keep the last per from_ts.
  const byFrom = new Map<number, Period>();
  for (const p of out) byFrom.set(p.from_ts, p);
  return [...byFrom.values()];
}

/** What to delete and insert so the stored periods of one pair become `wanted` (periods equal in every field stay). */
export function diffPeriods(
  existing: readonly Period[],
  wanted: readonly Period[],
): { remove: Period[]; add: Period[] } {
  const key = (p: Period) => `${Number(p.from_ts)}|${Number(p.to_ts)}|${p.settings_raw ?? ''}`;
  const want = new Set(wanted.map(key));
  const have = new Set(existing.map(key));
  return {
    remove: existing
      .filter((p) => !want.has(key(p)))
      .map((p) => ({ ...p, from_ts: Number(p.from_ts), to_ts: Number(p.to_ts) })),
    add: wanted.filter((p) => !have.has(key(p))),
  };
}

/** Re-derives the periods of one (channel, subscriber) from its command history, journaling every change. */
async function rebuildPeriods(w: Writer, channel: string, subscriber: string): Promise<void> {
  const db: Executor = w.db;
  const events = await db
    .selectFrom('subscription_events')
    .select(['ts', 'ts_order', 'subscribed', 'settings_raw'])
    .where('channel', '=', channel)
    .where('subscriber', '=', subscriber)
    .execute();
  const wanted = periodsOf(events);
  const existing = await db
    .selectFrom('subscription_periods')
    .selectAll()
    .where('channel', '=', channel)
    .where('subscriber', '=', subscriber)
    .execute();
  const { remove, add } = diffPeriods(
    existing.map((r) => ({ from_ts: r.from_ts, to_ts: r.to_ts, settings_raw: r.settings_raw })),
    wanted,
  );
  for (const r of remove) {
    await journalRow(
      db,
      w.origin,
      'subscription_periods',
      { channel, subscriber, from_ts: r.from_ts },
      { channel, subscriber, ...r },
    );
    await db
      .deleteFrom('subscription_periods')
      .where('channel', '=', channel)
      .where('subscriber', '=', subscriber)
      .where('from_ts', '=', r.from_ts)
      .execute();
  }
  for (const p of add) {
    await journalRow(db, w.origin, 'subscription_periods', { channel, subscriber, from_ts: p.from_ts }, null);
    await db
      .insertInto('subscription_periods')
      .values({ channel, subscriber, ...p })
      .execute();
  }
}

/**
 * The periods of a pair after `cmd`, when `cmd` is newer than every other command of the pair (every signed request:
 * it is stamped on receipt): what `periodsOf` would derive, from the pair's newest period alone. Re-deriving from the
 * whole history cost every command O(history), inside the chain-writes lock, and anyone holding a signed opt-in can
 * replay it to grow that history. Returns false (nothing written) when an equal or newer command exists.
 */
async function extendPeriods(w: Writer, cmd: SubscriptionCommand): Promise<boolean> {
  const db: Executor = w.db;
  const pair = { channel: cmd.channel, subscriber: cmd.subscriber };
  // ts_order compared here, not in SQL: `periodsOf` orders by code unit, a Postgres collation may not.
  const sameOrLater = await db
    .selectFrom('subscription_events')
    .select(['ts', 'ts_order'])
    .where('channel', '=', cmd.channel)
    .where('subscriber', '=', cmd.subscriber)
    .where('ts', '>=', cmd.ts)
    .execute();
  if (sameOrLater.some((e) => Number(e.ts) > cmd.ts || e.ts_order > cmd.order)) return false;
  const last = await db
    .selectFrom('subscription_periods')
    .selectAll()
    .where('channel', '=', cmd.channel)
    .where('subscriber', '=', cmd.subscriber)
    .orderBy('from_ts', 'desc')
    .limit(1)
    .executeTakeFirst();
  const open = last && Number(last.to_ts) === OPEN_PERIOD_END ? last : undefined;
  const settings = cmd.subscribed ? cmd.settingsRaw : null;
  if (cmd.subscribed && open && open.settings_raw === settings) return true;
  if (open) {
    const from = Number(open.from_ts);
    const image = { ...pair, from_ts: from, to_ts: OPEN_PERIOD_END, settings_raw: open.settings_raw };
    await journalRow(db, w.origin, 'subscription_periods', { ...pair, from_ts: from }, image);
    await db
      .deleteFrom('subscription_periods')
      .where('channel', '=', cmd.channel)
      .where('subscriber', '=', cmd.subscriber)
      .where('from_ts', '=', from)
      .execute();
    // Closed where this command starts; a period closed where it opened is empty, and dropped.
    if (cmd.ts > from) await addPeriod(w, { ...image, to_ts: cmd.ts });
  }
  if (cmd.subscribed)
    await addPeriod(w, { ...pair, from_ts: cmd.ts, to_ts: OPEN_PERIOD_END, settings_raw: settings });
  return true;
}

async function addPeriod(w: Writer, p: SubscriptionPeriodsTable): Promise<void> {
  const key = { channel: p.channel, subscriber: p.subscriber, from_ts: p.from_ts };
  await journalRow(w.db, w.origin, 'subscription_periods', key, null);
  await w.db.insertInto('subscription_periods').values(p).execute();
}

/**
 * Last writer wins by (ts, order): a command older than the stored state changes nothing, whatever order commands
 * arrive in (the original node compared against both sub and unsub timestamps and dropped valid commands, §8.2).
 * Every command is also kept in `subscription_events`, from which `subscription_periods` are re-derived, so that a
 * late-arriving old command still corrects history ("was this user subscribed at time t?").
 * Returns whether the command changed the current state.
 */
export async function applySubscription(w: Writer, cmd: SubscriptionCommand): Promise<boolean> {
  const db = w.db;
  const eventKey = { channel: cmd.channel, subscriber: cmd.subscriber, ts: cmd.ts, ts_order: cmd.order };
  const inserted = await db
    .insertInto('subscription_events')
    .values({
      ...eventKey,
      subscribed: cmd.subscribed ? 1 : 0,
      settings_raw: cmd.subscribed ? cmd.settingsRaw : null,
      proof: cmd.proof,
      chain_id: cmd.chainId,
      origin: cmd.origin,
    })
    .onConflict((oc) => oc.columns(['channel', 'subscriber', 'ts', 'ts_order']).doNothing())
    .returning('ts')
    .executeTakeFirst();
  if (inserted) {
    await journalRow(db, w.origin, 'subscription_events', eventKey, null);
    if (!(await extendPeriods(w, cmd))) await rebuildPeriods(w, cmd.channel, cmd.subscriber);
  }

  const existing = await w.get('subscriptions', { channel: cmd.channel, subscriber: cmd.subscriber });
  if (existing && (existing.ts > cmd.ts || (existing.ts === cmd.ts && existing.ts_order >= cmd.order)))
    return false;
  await w.put('subscriptions', {
    channel: cmd.channel,
    subscriber: cmd.subscriber,
    subscribed: cmd.subscribed ? 1 : 0,
    settings_raw: cmd.subscribed ? cmd.settingsRaw : null,
    ts: cmd.ts,
    ts_order: cmd.order,
    proof: cmd.proof,
    origin: cmd.origin,
    chain_id: cmd.chainId,
  });
  return true;
}

const pairKey = (channel: string, subscriber: string) => `${channel}|${subscriber}`;
const newer = (a: { ts: number; order: string }, b: { ts: number; order: string }) =>
  a.ts !== b.ts ? a.ts > b.ts : a.order > b.order;

/** Groups pairs by channel so lookups are `channel = ? AND subscriber IN (…)` on the primary-key prefix. */
function byChannel(pairs: Iterable<{ channel: string; subscriber: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of pairs) {
    const list = out.get(p.channel) ?? [];
    list.push(p.subscriber);
    out.set(p.channel, list);
  }
  return out;
}

/** `subscription_events` columns in the order of the bulk writers' rows. */
export const EVENT_COLUMNS = [
  'channel',
  'subscriber',
  'ts',
  'ts_order',
  'subscribed',
  'settings_raw',
  'proof',
  'chain_id',
  'origin',
] as const;
const PERIOD_COLUMNS = ['channel', 'subscriber', 'from_ts', 'to_ts', 'settings_raw'] as const;
const SUBSCRIPTION_COLUMNS = [
  'channel',
  'subscriber',
  'subscribed',
  'settings_raw',
  'ts',
  'ts_order',
  'proof',
  'origin',
  'chain_id',
] as const;
const updateAll = (cols: readonly string[]) => cols.map((c) => `"${c}" = excluded."${c}"`).join(', ');

type HistoryEvent = Pick<SubscriptionEventsTable, 'ts' | 'ts_order' | 'subscribed' | 'settings_raw'>;
const eventId = (e: { ts: number; ts_order: string }) => `${e.ts}|${e.ts_order}`;

/**
 * The same outcome as calling `applySubscription` for each command in order, in a handful of multi-row statements
 * instead of several per command. Only for writes that need no undo journal (finalised blocks): the backfill's
 * hot path. Returns the (channel, subscriber) pairs whose current state changed.
 */
export async function applySubscriptionsBulk(
  exec: Executor,
  cmds: readonly SubscriptionCommand[],
): Promise<{ channel: string; subscriber: string }[]> {
  if (cmds.length === 0) return [];
  const pairs = new Map<string, { channel: string; subscriber: string }>();
  for (const c of cmds)
    pairs.set(pairKey(c.channel, c.subscriber), { channel: c.channel, subscriber: c.subscriber });

  // Invariant: a pair has a `subscriptions` row as soon as it has any command, so a pair without one has no history
  // and every command of this call is new to it (the backfill's common case: no read-back of events or periods).
  const stored = new Map<string, { ts: number; order: string }>();
  for (const [channel, subscribers] of byChannel(pairs.values())) {
    for (const part of chunks(subscribers)) {
      const rows = await exec
        .selectFrom('subscriptions')
        .select(['subscriber', 'ts', 'ts_order'])
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      for (const r of rows)
        stored.set(pairKey(channel, r.subscriber), { ts: Number(r.ts), order: r.ts_order });
    }
  }

  // The stored history and periods of known pairs.
  const history = new Map<string, HistoryEvent[]>();
  const storedPeriods = new Map<string, Period[]>();
  const known = [...pairs.entries()].filter(([k]) => stored.has(k)).map(([, v]) => v);
  for (const [channel, subscribers] of byChannel(known)) {
    for (const part of chunks(subscribers)) {
      const events = await exec
        .selectFrom('subscription_events')
        .select(['subscriber', 'ts', 'ts_order', 'subscribed', 'settings_raw'])
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      for (const e of events) {
        const k = pairKey(channel, e.subscriber);
        const list = history.get(k) ?? [];
        list.push({
          ts: Number(e.ts),
          ts_order: e.ts_order,
          subscribed: e.subscribed,
          settings_raw: e.settings_raw,
        });
        history.set(k, list);
      }
      const periods = await exec
        .selectFrom('subscription_periods')
        .select(['subscriber', 'from_ts', 'to_ts', 'settings_raw'])
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      for (const p of periods) {
        const k = pairKey(channel, p.subscriber);
        const list = storedPeriods.get(k) ?? [];
        list.push({ from_ts: Number(p.from_ts), to_ts: Number(p.to_ts), settings_raw: p.settings_raw });
        storedPeriods.set(k, list);
      }
    }
  }

  // 1. The command history: commands not already in it (a replayed command is there; one may repeat in a call).
  const seenEvents = new Map<string, Set<string>>();
  for (const [k, events] of history) seenEvents.set(k, new Set(events.map(eventId)));
  const eventRows: unknown[][] = [];
  const touched = new Set<string>();
  for (const c of cmds) {
    const k = pairKey(c.channel, c.subscriber);
    const e: HistoryEvent = {
      ts: c.ts,
      ts_order: c.order,
      subscribed: c.subscribed ? 1 : 0,
      settings_raw: c.subscribed ? c.settingsRaw : null,
    };
    let ids = seenEvents.get(k);
    if (!ids) {
      ids = new Set();
      seenEvents.set(k, ids);
    }
    if (ids.has(eventId(e))) continue;
    ids.add(eventId(e));
    const list = history.get(k) ?? [];
    list.push(e);
    history.set(k, list);
    touched.add(k);
    eventRows.push([
      c.channel,
      c.subscriber,
      c.ts,
      c.order,
      e.subscribed,
      e.settings_raw,
      c.proof,
      c.chainId,
      c.origin,
    ]);
  }
  if (touched.size === 0) return [];
  // The conflict clause is a guard only: the history was read above, in the same transaction.
  await insertRows(
    exec,
    'subscription_events',
    EVENT_COLUMNS,
    inKeyOrder(eventRows, 4),
    'on conflict do nothing',
  );

  // 2. Periods of the pairs that got new commands, re-derived from their whole history.
  const periodRows: unknown[][] = [];
  for (const k of touched) {
    const { channel, subscriber } = pairs.get(k)!;
    const events = history.get(k) ?? [];
    const stored = storedPeriods.get(k);
    // The backfill's common case, a first and only command: no sorting or diffing needed.
    if (!stored && events.length === 1) {
      const e = events[0]!;
      if (e.subscribed) periodRows.push([channel, subscriber, e.ts, OPEN_PERIOD_END, e.settings_raw]);
      continue;
    }
    const { remove, add } = diffPeriods(stored ?? [], periodsOf(events));
    for (const r of remove) {
      await exec
        .deleteFrom('subscription_periods')
        .where('channel', '=', channel)
        .where('subscriber', '=', subscriber)
        .where('from_ts', '=', r.from_ts)
        .execute();
    }
    for (const p of add) periodRows.push([channel, subscriber, p.from_ts, p.to_ts, p.settings_raw]);
  }
  await insertRows(
    exec,
    'subscription_periods',
    PERIOD_COLUMNS,
    inKeyOrder(periodRows, 3),
    `on conflict ("channel", "subscriber", "from_ts") do update set ${updateAll(['to_ts', 'settings_raw'])}`,
  );

  // 3. Current state: the newest command per pair wins if it is newer than what is stored.
  const latest = new Map<string, SubscriptionCommand>();
  for (const c of cmds) {
    const k = pairKey(c.channel, c.subscriber);
    const prev = latest.get(k);
    if (!prev || newer(c, prev)) latest.set(k, c);
  }
  const changed: { channel: string; subscriber: string }[] = [];
  const upserts: unknown[][] = [];
  for (const [k, c] of latest) {
    // Pairs whose commands were all replays keep their stored state, which is at least as new.
    if (!touched.has(k)) continue;
    const cur = stored.get(k);
    if (cur && !newer(c, cur)) continue;
    changed.push({ channel: c.channel, subscriber: c.subscriber });
    upserts.push([
      c.channel,
      c.subscriber,
      c.subscribed ? 1 : 0,
      c.subscribed ? c.settingsRaw : null,
      c.ts,
      c.order,
      c.proof,
      c.origin,
      c.chainId,
    ]);
  }
  await insertRows(
    exec,
    'subscriptions',
    SUBSCRIPTION_COLUMNS,
    inKeyOrder(upserts, 2),
    `on conflict ("channel", "subscriber") do update set ${updateAll(SUBSCRIPTION_COLUMNS.slice(2))}`,
  );
  return changed;
}

/**
 * Makes the current state and the periods of the given pairs what their command history (`subscription_events`)
 * implies, whatever those rows held before. A reorg rollback calls it after restoring row images: an image predates
 * any command written without a journal since (a signed opt-in over HTTP, another chain's opt-in), so only the
 * history it left can say what the pair's state is. Not journaled: it runs inside the rollback.
 */
export async function rederiveSubscriptions(
  exec: Executor,
  pairs: readonly { channel: string; subscriber: string }[],
): Promise<void> {
  const unique = new Map(pairs.map((p) => [pairKey(p.channel, p.subscriber), p]));
  for (const [channel, subscribers] of byChannel(unique.values())) {
    for (const part of chunks(subscribers)) {
      const events = await exec
        .selectFrom('subscription_events')
        .selectAll()
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      const history = new Map<string, typeof events>();
      for (const e of events) {
        const list = history.get(e.subscriber) ?? [];
        list.push({ ...e, ts: Number(e.ts) });
        history.set(e.subscriber, list);
      }
      await exec
        .deleteFrom('subscription_periods')
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      await exec
        .deleteFrom('subscriptions')
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      const periodRows: unknown[][] = [];
      const currentRows: unknown[][] = [];
      for (const [subscriber, list] of history) {
        for (const p of periodsOf(list))
          periodRows.push([channel, subscriber, p.from_ts, p.to_ts, p.settings_raw]);
        const last = list.reduce((a, b) =>
          newer({ ts: b.ts, order: b.ts_order }, { ts: a.ts, order: a.ts_order }) ? b : a,
        );
        currentRows.push([
          channel,
          subscriber,
          last.subscribed,
          last.settings_raw,
          last.ts,
          last.ts_order,
          last.proof,
          last.origin,
          last.chain_id,
        ]);
      }
      await insertRows(exec, 'subscription_periods', PERIOD_COLUMNS, inKeyOrder(periodRows, 3));
      await insertRows(exec, 'subscriptions', SUBSCRIPTION_COLUMNS, inKeyOrder(currentRows, 2));
    }
  }
}

/**
 * The current opt-in rows of the given pairs (after a batch or a rollback changed them), read per channel in chunks;
 * a pair without a row (a rollback removed its only opt-in) is answered as not subscribed.
 */
export async function readSubscriptionRows(
  exec: Executor,
  pairs: readonly { channel: string; subscriber: string }[],
): Promise<SubscriptionRow[]> {
  const unique = new Map(pairs.map((p) => [pairKey(p.channel, p.subscriber), p]));
  const out: SubscriptionRow[] = [];
  for (const [channel, subscribers] of byChannel(unique.values())) {
    for (const part of chunks(subscribers)) {
      const rows = await exec
        .selectFrom('subscriptions')
        .select(['channel', 'subscriber', 'subscribed', 'settings_raw'])
        .where('channel', '=', channel)
        .where('subscriber', 'in', part)
        .execute();
      const found = new Set<string>();
      for (const r of rows) {
        found.add(r.subscriber);
        out.push({
          channel: r.channel,
          subscriber: r.subscriber,
          subscribed: r.subscribed === 1,
          settingsRaw: r.settings_raw,
        });
      }
      for (const subscriber of part) {
        if (!found.has(subscriber)) out.push({ channel, subscriber, subscribed: false, settingsRaw: null });
      }
    }
  }
  return out;
}
