import type { Logger } from 'pino';
import type { ChainLog } from '../../chains/types.js';
import { isPushError } from '../../errors.js';
import { isZeroAddress, parseCaip, parseChannelIdentity } from '../../protocol/index.js';
import { createWriter, type Writer } from '../../store/writer.js';
import { applySubscription, chainOrderKey, type SubscriptionCommand } from '../subscriptions.js';
import { aliasInputs } from './alias-inputs.js';
import type { ChainNotificationDoor } from './sink.js';

export interface HandlerContext {
  w: Writer;
  log: ChainLog;
  /** Every log of the batch, for events that need their transaction's siblings. */
  batch: readonly ChainLog[];
  coreChainId: number;
  logger: Logger;
  /** Opt-ins that took effect, so live fan-out can follow them after commit. */
  changedSubscriptions?: { channel: string; subscriber: string }[];
  /**
   * When set (finalised blocks), opt-in commands are collected here and applied in bulk by the caller, which must
   * flush them before any other event of the batch is applied (see `isOptInEvent`).
   */
  pendingSubscriptions?: SubscriptionCommand[];
  /** Admission's door, for an alias's notifications applied when its handshake completes (see `aliasVerified`). */
  notifications?: ChainNotificationDoor;
  /** What to run once the batch commits (publishing what the door admitted). */
  committed?: (() => void)[];
}

/** Events that only write opt-in state: they may be batched between the other events of a batch. */
export function isOptInEvent(log: ChainLog): boolean {
  return (
    log.contract === 'comm' &&
    (log.event === 'Subscribe' || log.event === 'Unsubscribe' || log.event === 'UserNotifcationSettingsAdded')
  );
}

const str = (v: unknown): string => String(v ?? '');
const addr = (v: unknown): string => str(v).toLowerCase();
const proofOf = (log: ChainLog) => `eip155:${log.chainId}:${log.txHash}`;

function ipfsHashOf(identity: string): string | null {
  try {
    return parseChannelIdentity(identity).cid;
  } catch {
    return null;
  }
}

/**
 * Which core channel a Comm event's `channel` means: itself on the core chain; on an alias chain, the channel whose
 * alias it is, once both sides of the handshake are seen (contracts.md §7). Null when unknown.
 */
async function coreChannelFor(ctx: HandlerContext, channel: string): Promise<string | null> {
  if (ctx.log.chainId === ctx.coreChainId) return channel;
  const alias = await ctx.w.get('aliases', { alias_chain_id: ctx.log.chainId, alias_address: channel });
  return alias && alias.declared === 1 && alias.confirmed === 1 ? alias.channel : null;
}

async function updateChannel(
  ctx: HandlerContext,
  channel: string,
  patch: Record<string, unknown>,
): Promise<void> {
  const existing = await ctx.w.get('channels', { channel });
  if (!existing) {
    ctx.logger.debug({ channel, event: ctx.log.event }, 'event for an unknown channel ignored');
    return;
  }
  await ctx.w.update('channels', { channel }, { ...patch, updated_at: ctx.log.timestamp * 1000 });
}

async function subscription(ctx: HandlerContext, subscribed: boolean, settingsRaw: string | null) {
  const { log } = ctx;
  const rawChannel = addr(log.args.channel ?? log.args._channel);
  const user = addr(log.args.user ?? log.args._user);
  // Channel creation subscribes the channel to the 0x0 "alerter"; neither side is a real opt-in (§7 of contracts.md).
  if (isZeroAddress(rawChannel) || isZeroAddress(user)) return;
  const channel = await coreChannelFor(ctx, rawChannel);
  if (!channel) {
    ctx.logger.debug({ chainId: log.chainId, channel: rawChannel }, 'opt-in for an unverified alias ignored');
    return;
  }
  const cmd: SubscriptionCommand = {
    channel,
    subscriber: user,
    subscribed,
    settingsRaw,
    ts: log.timestamp * 1000,
    order: chainOrderKey(log.chainId, log.blockNumber, log.logIndex),
    proof: proofOf(log),
    origin: 'onchain',
    chainId: log.chainId,
  };
  if (ctx.pendingSubscriptions) {
    ctx.pendingSubscriptions.push(cmd);
    return;
  }
  if (await applySubscription(ctx.w, cmd)) ctx.changedSubscriptions?.push({ channel, subscriber: user });
}

/** `_ethereumChannelAddress`: CAIP-10 or a legacy bare address. */
function parseAliasTarget(s: string): { chainId: number | null; address: string } | null {
  try {
    const a = parseCaip(s.trim());
    return a.kind === 'eip155' ? { chainId: a.chainId, address: a.address } : null;
  } catch (err) {
    if (isPushError(err)) return null;
    throw err;
  }
}

/**
 * The handshake of `alias` (on `aliasChainId`) has just completed: what that chain recorded for the alias before —
 * opt-ins and notifications set aside while the alias was not verified — is applied now, so the result does not depend
 * on which chain the node indexed first. Journaled under each replayed log's own alias-chain block, as if applied when
 * indexed: a reorg of the alias chain undoes them; a reorg of either chain that undoes the handshake undoes what the
 * alias chain did through it (alias-undo.ts), to be applied again if it completes again. Each is idempotent
 * (last-writer-wins opt-ins, notifications keyed by their log). On the alias's own chain, only what comes before the
 * current log: the rest of the batch follows in order.
 */
async function aliasVerified(ctx: HandlerContext, aliasChainId: number, alias: string): Promise<void> {
  const { pendingSubscriptions: _bulk, log: completing, batch: _batch, ...base } = ctx;
  await applyVerifiedAlias(base, aliasChainId, alias, completing);
}

/** What `applyVerifiedAlias` writes with: the writer of the change that completed the handshake, and its hooks. */
export type AliasReplayContext = Omit<HandlerContext, 'log' | 'batch' | 'pendingSubscriptions'>;

/**
 * Applies what `aliasChainId` recorded for `alias` (see alias-inputs.ts), up to `completing` when that change is a
 * log of the same chain. For every writer that can complete a handshake: the ChannelAlias handlers, and channel
 * metadata that declares an alias whose confirmation was indexed first.
 */
export async function applyVerifiedAlias(
  base: AliasReplayContext,
  aliasChainId: number,
  alias: string,
  completing?: Pick<ChainLog, 'chainId' | 'blockNumber' | 'logIndex'>,
): Promise<void> {
  const before = completing?.chainId === aliasChainId ? completing : undefined;
  for (const log of await aliasInputs(base.w.db, aliasChainId, alias, before)) {
    // Journaled under the log's own block, as if applied when it was indexed: a reorg of the alias chain undoes it
    // whichever chain the node reached first (entries of final blocks are pruned with that chain's next batch).
    const origin = { chainId: log.chainId, blockNumber: log.blockNumber, journal: true };
    if (log.event !== 'SendNotification') {
      await applyChainEvent({ ...base, w: createWriter(base.w.db, origin), log, batch: [] });
      continue;
    }
    if (!base.notifications) continue;
    const after = await base.notifications.admit(base.w.db, log, origin);
    if (after) base.committed?.push(after);
  }
}

const verified = (row: { declared: number; confirmed: number } | undefined) =>
  row !== undefined && row.declared === 1 && row.confirmed === 1;

async function channelAlias(ctx: HandlerContext): Promise<void> {
  const { log, w } = ctx;
  const emitter = addr(log.args._channelOwnerAddress);
  const target = parseAliasTarget(str(log.args._ethereumChannelAddress));
  if (!target) return;
  const now = log.timestamp * 1000;
  if (log.chainId === ctx.coreChainId) {
    // Step 1, declared by the channel on the core chain: "eip155:<aliasChain>:<alias>".
    if (target.chainId === null || target.chainId === ctx.coreChainId) return;
    if (!(await w.get('channels', { channel: emitter }))) return;
    // At most one alias per chain per channel: a new declaration replaces the old one.
    const previous = await w.db
      .selectFrom('aliases')
      .selectAll()
      .where('channel', '=', emitter)
      .where('alias_chain_id', '=', target.chainId)
      .where('declared', '=', 1)
      .execute();
    for (const p of previous) {
      if (p.alias_address !== target.address) {
        await w.update(
          'aliases',
          { alias_chain_id: p.alias_chain_id, alias_address: p.alias_address },
          { declared: 0 },
        );
      }
    }
    const existing = await w.get('aliases', {
      alias_chain_id: target.chainId,
      alias_address: target.address,
    });
    const confirmed = existing && existing.channel === emitter ? existing.confirmed : 0;
    await w.put('aliases', {
      alias_chain_id: target.chainId,
      alias_address: target.address,
      channel: emitter,
      declared: 1,
      confirmed,
      declare_proof: proofOf(log),
      confirm_proof: confirmed ? (existing?.confirm_proof ?? null) : null,
      updated_at: now,
    });
    if (confirmed && !(existing?.channel === emitter && verified(existing)))
      await aliasVerified(ctx, target.chainId, target.address);
    return;
  }
  // Step 2, confirmed by the alias on its own chain: "<core channel>" (bare, legacy) or "eip155:<core>:<channel>".
  if (target.chainId !== null && target.chainId !== ctx.coreChainId) return;
  const existing = await w.get('aliases', { alias_chain_id: log.chainId, alias_address: emitter });
  // The confirmation may be indexed before the declaration (different chains): keep it; usable once both exist.
  const declared = existing && existing.channel === target.address ? existing.declared : 0;
  await w.put('aliases', {
    alias_chain_id: log.chainId,
    alias_address: emitter,
    channel: target.address,
    declared,
    confirmed: 1,
    declare_proof: declared ? (existing?.declare_proof ?? null) : null,
    confirm_proof: proofOf(log),
    updated_at: now,
  });
  if (declared && !(existing?.channel === target.address && verified(existing)))
    await aliasVerified(ctx, log.chainId, emitter);
}

async function removeChannelAlias(ctx: HandlerContext): Promise<void> {
  const { log, w } = ctx;
  const emitter = addr(log.args._channelOwnerAddress);
  const target = parseAliasTarget(str(log.args._baseChannelAddress));
  if (!target) return;
  if (log.chainId === ctx.coreChainId) {
    if (target.chainId === null) return;
    const row = await w.get('aliases', { alias_chain_id: target.chainId, alias_address: target.address });
    if (row?.channel === emitter)
      await w.remove('aliases', { alias_chain_id: target.chainId, alias_address: target.address });
  } else {
    const row = await w.get('aliases', { alias_chain_id: log.chainId, alias_address: emitter });
    if (row?.channel === target.address)
      await w.remove('aliases', { alias_chain_id: log.chainId, alias_address: emitter });
  }
}

/** TimeBoundChannelDestroyed names msg.sender, which is the admin when the admin destroys: find the channel from the tx's Unsubscribe(ch, ch). */
function destroyedChannel(ctx: HandlerContext): string {
  const sender = addr(ctx.log.args.channel);
  const selfUnsub = ctx.batch.find(
    (l) =>
      l.txHash === ctx.log.txHash &&
      l.event === 'Unsubscribe' &&
      addr(l.args.channel) === addr(l.args.user) &&
      !isZeroAddress(addr(l.args.channel)),
  );
  return selfUnsub ? addr(selfUnsub.args.channel) : sender;
}

type Handler = (ctx: HandlerContext) => Promise<void>;

const CORE: Record<string, Handler> = {
  async AddChannel(ctx) {
    const { log } = ctx;
    const channel = addr(log.args.channel);
    const identity = str(log.args.identity);
    const ipfsHash = ipfsHashOf(identity);
    const ms = log.timestamp * 1000;
    await ctx.w.put('channels', {
      channel,
      core_chain_id: log.chainId,
      channel_type: Number(log.args.channelType),
      identity,
      ipfs_hash: ipfsHash,
      name: null,
      info: null,
      url: null,
      icon: null,
      tags: null,
      state: 1,
      verified_by: null,
      settings_raw: null,
      settings_description: null,
      subgraph: null,
      // A channel is usable before its metadata arrives; an identity that is not `1+<cid>` can never resolve.
      metadata_status: ipfsHash ? 'pending' : 'failed',
      metadata_attempts: 0,
      metadata_next_at: 0,
      created_block: log.blockNumber,
      created_at: ms,
      updated_at: ms,
    });
  },
  async UpdateChannel(ctx) {
    const identity = str(ctx.log.args.identity);
    const ipfsHash = ipfsHashOf(identity);
    await updateChannel(ctx, addr(ctx.log.args.channel), {
      identity,
      ipfs_hash: ipfsHash,
      metadata_status: ipfsHash ? 'pending' : 'failed',
      metadata_attempts: 0,
      metadata_next_at: 0,
    });
  },
  DeactivateChannel: (ctx) => updateChannel(ctx, addr(ctx.log.args.channel), { state: 2 }),
  ReactivateChannel: (ctx) => updateChannel(ctx, addr(ctx.log.args.channel), { state: 1 }),
  ChannelBlocked: (ctx) => updateChannel(ctx, addr(ctx.log.args.channel), { state: 3 }),
  ChannelVerified: (ctx) =>
    updateChannel(ctx, addr(ctx.log.args.channel), { verified_by: addr(ctx.log.args.verifier) }),
  ChannelVerificationRevoked: (ctx) => updateChannel(ctx, addr(ctx.log.args.channel), { verified_by: null }),
  ChannelNotifcationSettingsAdded: (ctx) =>
    updateChannel(ctx, addr(ctx.log.args._channel), {
      settings_raw: str(ctx.log.args._notifSettings),
      settings_description: str(ctx.log.args._notifDescription),
    }),
  AddSubGraph: (ctx) =>
    updateChannel(ctx, addr(ctx.log.args.channel), { subgraph: str(ctx.log.args._subGraphData) }),
  async TimeBoundChannelDestroyed(ctx) {
    const channel = destroyedChannel(ctx);
    const row = await ctx.w.get('channels', { channel });
    if (!row) return;
    await ctx.w.update('channels', { channel }, { state: 0, updated_at: ctx.log.timestamp * 1000 });
    const subs = await ctx.w.db
      .selectFrom('subscriptions')
      .select('subscriber')
      .where('channel', '=', channel)
      .where('subscribed', '=', 1)
      .execute();
    for (const s of subs) {
      await applySubscription(ctx.w, {
        channel,
        subscriber: s.subscriber,
        subscribed: false,
        settingsRaw: null,
        ts: ctx.log.timestamp * 1000,
        order: chainOrderKey(ctx.log.chainId, ctx.log.blockNumber, ctx.log.logIndex),
        proof: proofOf(ctx.log),
        origin: 'onchain',
        chainId: ctx.log.chainId,
      });
    }
    const aliases = await ctx.w.db.selectFrom('aliases').selectAll().where('channel', '=', channel).execute();
    // Its delegates go too, on the core chain and on each alias's chain (push-node-reference §7.1).
    const owners = [
      { chain_id: ctx.log.chainId, channel },
      ...aliases.map((a) => ({ chain_id: a.alias_chain_id, channel: a.alias_address })),
    ];
    for (const o of owners) {
      const delegates = await ctx.w.db
        .selectFrom('delegates')
        .select('delegate')
        .where('chain_id', '=', o.chain_id)
        .where('channel', '=', o.channel)
        .execute();
      for (const d of delegates) await ctx.w.remove('delegates', { ...o, delegate: d.delegate });
    }
    for (const a of aliases)
      await ctx.w.remove('aliases', { alias_chain_id: a.alias_chain_id, alias_address: a.alias_address });
  },
};

const COMM: Record<string, Handler> = {
  Subscribe: (ctx) => subscription(ctx, true, null),
  Unsubscribe: (ctx) => subscription(ctx, false, null),
  UserNotifcationSettingsAdded: (ctx) => subscription(ctx, true, str(ctx.log.args._notifSettings)),
  async AddDelegate(ctx) {
    await ctx.w.put('delegates', {
      chain_id: ctx.log.chainId,
      channel: addr(ctx.log.args.channel),
      delegate: addr(ctx.log.args.delegate),
      added_at: ctx.log.timestamp * 1000,
    });
  },
  async RemoveDelegate(ctx) {
    await ctx.w.remove('delegates', {
      chain_id: ctx.log.chainId,
      channel: addr(ctx.log.args.channel),
      delegate: addr(ctx.log.args.delegate),
    });
  },
  ChannelAlias: channelAlias,
  RemoveChannelAlias: removeChannelAlias,
};

/** Events the node keeps as verified inputs: projected here, or handed to admission (SendNotification). */
export function isHandledEvent(log: ChainLog, coreChainId: number): boolean {
  if (log.event === 'SendNotification') return log.contract === 'comm';
  if (log.contract === 'core') return log.chainId === coreChainId && log.event in CORE;
  return log.event in COMM;
}

/** Applies one chain event to the projections. SendNotification is admitted elsewhere (after commit). */
export async function applyChainEvent(ctx: HandlerContext): Promise<void> {
  const table = ctx.log.contract === 'core' ? CORE : COMM;
  const handler = table[ctx.log.event];
  if (handler) await handler(ctx);
}
