import {
  type AdmissionExecutor,
  admissionDb,
  journalRow,
  OPEN_PERIOD_END,
  type SubscriptionEventsTable,
  type SubscriptionPeriodsTable,
} from '../store/repos/tables.js';
import type { Writer } from '../store/writer.js';

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

/** Re-derives the periods of one (channel, subscriber) from its command history, journaling every change. */
async function rebuildPeriods(w: Writer, channel: string, subscriber: string): Promise<void> {
  const db: AdmissionExecutor = admissionDb(w.db);
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
  const same = (a: Period, b: Period) =>
    a.from_ts === b.from_ts && a.to_ts === b.to_ts && a.settings_raw === b.settings_raw;
  for (const row of existing) {
    const r = { ...row, from_ts: Number(row.from_ts), to_ts: Number(row.to_ts) };
    if (wanted.some((p) => same(p, r))) continue;
    const key = { channel, subscriber, from_ts: r.from_ts };
    await journalRow(db, w.origin, 'subscription_periods', key, r);
    await db
      .deleteFrom('subscription_periods')
      .where('channel', '=', channel)
      .where('subscriber', '=', subscriber)
      .where('from_ts', '=', r.from_ts)
      .execute();
  }
  for (const p of wanted) {
    if (existing.some((row) => same(p, { ...row, from_ts: Number(row.from_ts), to_ts: Number(row.to_ts) })))
      continue;
    await journalRow(db, w.origin, 'subscription_periods', { channel, subscriber, from_ts: p.from_ts }, null);
    await db
      .insertInto('subscription_periods')
      .values({ channel, subscriber, ...p })
      .execute();
  }
}

/**
 * Last writer wins by (ts, order): a command older than the stored state changes nothing, whatever order commands
 * arrive in (the original node compared against both sub and unsub timestamps and dropped valid commands, §8.2).
 * Every command is also kept in `subscription_events`, from which `subscription_periods` are re-derived, so that a
 * late-arriving old command still corrects history ("was this user subscribed at time t?").
 * Returns whether the command changed the current state.
 */
export async function applySubscription(w: Writer, cmd: SubscriptionCommand): Promise<boolean> {
  const db = admissionDb(w.db);
  const eventKey = { channel: cmd.channel, subscriber: cmd.subscriber, ts: cmd.ts, ts_order: cmd.order };
  const inserted = await db
    .insertInto('subscription_events')
    .values({
      ...eventKey,
      subscribed: cmd.subscribed ? 1 : 0,
      settings_raw: cmd.subscribed ? cmd.settingsRaw : null,
      proof: cmd.proof,
      chain_id: cmd.chainId,
    })
    .onConflict((oc) => oc.columns(['channel', 'subscriber', 'ts', 'ts_order']).doNothing())
    .returning('ts')
    .executeTakeFirst();
  if (inserted) {
    await journalRow(db, w.origin, 'subscription_events', eventKey, null);
    await rebuildPeriods(w, cmd.channel, cmd.subscriber);
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
