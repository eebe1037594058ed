/**
 * Which locally connected addresses subscribe to which channel, with their settings: the intersection a broadcast
 * is emitted to. Only addresses with at least one open socket on this process are held.
 *
 * Invariant: `byChannel.get(c).has(a)` iff `byAddress.get(a).has(c)`, and every address in either map has an entry
 * in `connected` (refcount ≥ 1). Loading an address's subscriptions is async, so a change noted while it loads is
 * recorded in `pendingChanges` and applied on top of the loaded rows (the later fact wins).
 */
export interface SubscriberIndex {
  /** Registers one more socket for `address`; true when it is the address's first (caller should `load`). */
  connect(address: string): boolean;
  /** One socket fewer; the address's entries are dropped with its last socket. */
  disconnect(address: string): void;
  /** Sets the address's subscriptions as read from the store (ignored if it disconnected meanwhile). */
  load(address: string, rows: readonly { channel: string; settingsRaw: string | null }[]): void;
  /** An opt-in or opt-out that happened now. Ignored for addresses not connected here. */
  note(channel: string, address: string, subscribed: boolean, settingsRaw: string | null): void;
  /** Connected subscribers of a channel and their settings. */
  subscribersOf(channel: string): ReadonlyMap<string, string | null>;
  isConnected(address: string): boolean;
  addressCount(): number;
}

type Change = { channel: string; subscribed: boolean; settingsRaw: string | null };

export function createSubscriberIndex(): SubscriberIndex {
  const connected = new Map<string, number>();
  const byChannel = new Map<string, Map<string, string | null>>();
  const byAddress = new Map<string, Set<string>>();
  const loading = new Map<string, Change[]>();
  const EMPTY: ReadonlyMap<string, string | null> = new Map();

  function set(channel: string, address: string, subscribed: boolean, settingsRaw: string | null) {
    if (subscribed) {
      let subs = byChannel.get(channel);
      if (!subs) {
        subs = new Map();
        byChannel.set(channel, subs);
      }
      subs.set(address, settingsRaw);
      let chans = byAddress.get(address);
      if (!chans) {
        chans = new Set();
        byAddress.set(address, chans);
      }
      chans.add(channel);
    } else {
      const subs = byChannel.get(channel);
      subs?.delete(address);
      if (subs && subs.size === 0) byChannel.delete(channel);
      byAddress.get(address)?.delete(channel);
    }
  }

  function drop(address: string) {
    for (const channel of byAddress.get(address) ?? []) {
      const subs = byChannel.get(channel);
      subs?.delete(address);
      if (subs && subs.size === 0) byChannel.delete(channel);
    }
    byAddress.delete(address);
    loading.delete(address);
  }

  return {
    connect(address) {
      const n = connected.get(address) ?? 0;
      connected.set(address, n + 1);
      if (n === 0) loading.set(address, []);
      return n === 0;
    },
    disconnect(address) {
      const n = connected.get(address) ?? 0;
      if (n <= 1) {
        connected.delete(address);
        drop(address);
      } else connected.set(address, n - 1);
    },
    load(address, rows) {
      if (!connected.has(address)) return;
      const pending = loading.get(address) ?? [];
      loading.delete(address);
      for (const r of rows) set(r.channel, address, true, r.settingsRaw);
      for (const c of pending) set(c.channel, address, c.subscribed, c.settingsRaw);
    },
    note(channel, address, subscribed, settingsRaw) {
      if (!connected.has(address)) return;
      loading.get(address)?.push({ channel, subscribed, settingsRaw });
      set(channel, address, subscribed, settingsRaw);
    },
    subscribersOf: (channel) => byChannel.get(channel) ?? EMPTY,
    isConnected: (address) => connected.has(address),
    addressCount: () => connected.size,
  };
}
