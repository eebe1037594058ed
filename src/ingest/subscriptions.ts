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

/**
 * Last writer wins by (ts, order): a command older than the stored state changes nothing, whatever order commands
 * arrive in (the original node compared against both sub and unsub timestamps and dropped valid commands, §8.2).
 * Returns whether the command took effect.
 */
export async function applySubscription(w: Writer, cmd: SubscriptionCommand): Promise<boolean> {
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
