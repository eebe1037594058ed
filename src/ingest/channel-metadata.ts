import type { Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { type ParsedChannelMetadata, parseChannelMetadata } from '../content/channel-metadata.js';
import type { IpfsClient } from '../content/ipfs.js';
import { type BackoffPolicy, nextAttemptAt } from '../content/retry.js';
import { isPushError } from '../errors.js';
import { channelIconLink, FEED_LIMITS } from '../protocol/index.js';
import type { Store } from '../store/index.js';
import { lockChainWrites } from '../store/locks.js';
import type { DB } from '../store/schema.js';
import { createWriter, type WriteOrigin } from '../store/writer.js';
import { applyVerifiedAlias } from './chain/handlers.js';
import type { ChainNotificationDoor } from './chain/sink.js';
import { readSubscriptionRows, type SubscriptionRow } from './subscriptions.js';

export interface ChannelMetadataWorkerDeps {
  store: Store;
  ipfs: IpfsClient;
  logger: Logger;
  registry?: Registry;
  /** Attempts before a channel's metadata is given up (it stays usable, nameless). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** Poll period when there was nothing to do. */
  idleMs?: number;
  batchSize?: number;
  now?: () => number;
  /** The node's public URL, for icon links in feed items. */
  publicUrl?: string;
  /**
   * For a declaration that completes an alias handshake (its confirmation was indexed first): the core chain, admission's
   * door for the alias's notifications, and live fan-out's hook for its opt-ins (see `applyVerifiedAlias`).
   */
  coreChainId?: number;
  notifications?: ChainNotificationDoor;
  onSubscriptions?: (rows: SubscriptionRow[]) => void;
}

/** What an alias handshake completed by metadata applied, to announce once its transaction commits. */
interface AliasEffects {
  subscriptions: { channel: string; subscriber: string }[];
  committed: (() => void)[];
  /** The state of `subscriptions` as the transaction commits, for live fan-out (see the chain sink's). */
  rows: SubscriptionRow[];
}

/** Errors that retrying cannot fix: the content is verified but not valid metadata, or the CID is unusable. */
const PERMANENT = new Set(['PUSH_ERR_INVALID_PAYLOAD', 'PUSH_ERR_INVALID_CID', 'PUSH_ERR_CONTENT_TOO_LARGE']);

/**
 * Resolves channel metadata (`1+<cid>` identities) from IPFS in the background. A channel is usable before its
 * metadata arrives; failures are retried with capped exponential backoff, and the state is visible on the row
 * (`metadata_status`, `metadata_attempts`, `metadata_next_at`).
 */
export function createChannelMetadataWorker(deps: ChannelMetadataWorkerDeps) {
  const { store, ipfs, logger } = deps;
  const now = deps.now ?? Date.now;
  const publicUrl = deps.publicUrl ?? 'http://localhost:4000';
  const maxAttempts = deps.maxAttempts ?? 8;
  const backoff = deps.backoff ?? { baseMs: 2_000, maxMs: 10 * 60_000 };
  const idleMs = deps.idleMs ?? 2_000;
  const batchSize = deps.batchSize ?? 16;
  const results = new Counter({
    name: 'push_node_channel_metadata_total',
    help: 'Channel metadata resolutions by result (ok, retry, failed)',
    labelNames: ['result'] as const,
    registers: deps.registry ? [deps.registry] : [],
  });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = true;
  const abort = new AbortController();

  /**
   * Writes resolved metadata (the channel's name, info… and the aliases it declares) in one transaction, through the
   * undo journal, and only if the channel row still names `cid` and waits for it: after a reorg removed or replaced
   * the AddChannel/UpdateChannel that set it, nothing is written. Returns whether it wrote.
   *
   * Invariant (journal): the metadata is an effect of the channel event that set `ipfs_hash`, applied late. While
   * that event, or any later event that touched the rows written here, is unfinalised, the writes are journaled under
   * the newest such block (`origin`), so that (a) a reorg that orphans it restores the rows, aliases included, and
   * the channel row goes back to the image of before (`pending`, or gone) to be resolved again if still named; and
   * (b) for each row, journal ids stay in block order, which `rollbackJournal` relies on. When all of them are final,
   * the writes are final too (not journaled).
   */
  async function applyMetadata(
    tx: Transaction<DB>,
    row: { channel: string; metadata_attempts: number },
    cid: string,
    meta: ParsedChannelMetadata,
    effects: AliasEffects,
  ): Promise<boolean> {
    // Chain batches (the alias chain's half of a handshake, the journal) wait, and are waited for.
    await lockChainWrites(tx, store.dialect);
    // Lock the row (Postgres) so a concurrent chain batch cannot change it between this check and the writes.
    const current = await tx
      .selectFrom('channels')
      .selectAll()
      .where('channel', '=', row.channel)
      .$if(store.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!current || current.ipfs_hash !== cid || current.metadata_status !== 'pending') return false;

    // Alias rows this resolution writes: each declared alias, and the channel's other declared alias on that chain,
    // which the new declaration replaces (at most one alias per chain per channel, as a core-chain ChannelAlias).
    // A destroyed channel (state 0) declares nothing: its aliases were removed with it.
    const declare: { chainId: number; address: string; existing: Selectable<DB['aliases']> | undefined }[] =
      [];
    const replaced: { alias_chain_id: number; alias_address: string }[] = [];
    if (current.state !== 0) {
      for (const a of meta.aliases) {
        const existing = await tx
          .selectFrom('aliases')
          .selectAll()
          .where('alias_chain_id', '=', a.chainId)
          .where('alias_address', '=', a.address)
          .executeTakeFirst();
        // Declared by another channel first: that declaration stands.
        if (existing && existing.channel !== row.channel && existing.declared) continue;
        declare.push({ ...a, existing });
        const others = await tx
          .selectFrom('aliases')
          .select(['alias_chain_id', 'alias_address'])
          .where('channel', '=', row.channel)
          .where('alias_chain_id', '=', a.chainId)
          .where('alias_address', '!=', a.address)
          .where('declared', '=', 1)
          .execute();
        replaced.push(...others);
      }
    }

    const w = createWriter(
      tx,
      await journalOrigin(tx, current.core_chain_id, row.channel, [
        ...declare.map((a) => ({ alias_chain_id: a.chainId, alias_address: a.address })),
        ...replaced,
      ]),
    );
    await w.update(
      'channels',
      { channel: row.channel },
      {
        name: meta.name,
        info: meta.info,
        url: meta.url,
        icon: meta.icon,
        tags: JSON.stringify(meta.tags),
        metadata_status: 'ok',
        metadata_attempts: row.metadata_attempts + 1,
      },
    );
    for (const r of replaced) {
      await w.update(
        'aliases',
        { alias_chain_id: r.alias_chain_id, alias_address: r.alias_address },
        { declared: 0 },
      );
    }
    // Metadata may declare aliases (step 1 of the handshake, like a core-chain ChannelAlias event). A confirmation
    // counts only if it named this channel.
    for (const { chainId, address, existing } of declare) {
      const confirmed = existing?.channel === row.channel ? existing.confirmed : 0;
      await w.put('aliases', {
        alias_chain_id: chainId,
        alias_address: address,
        channel: row.channel,
        declared: 1,
        confirmed,
        declare_proof: `ipfs:${cid}`,
        confirm_proof: confirmed ? (existing?.confirm_proof ?? null) : null,
        updated_at: now(),
      });
      if (confirmed && !existing?.declared && deps.coreChainId !== undefined) {
        await applyVerifiedAlias(
          {
            w,
            coreChainId: deps.coreChainId,
            logger,
            changedSubscriptions: effects.subscriptions,
            committed: effects.committed,
            ...(deps.notifications ? { notifications: deps.notifications } : {}),
          },
          chainId,
          address,
        );
      }
    }
    return true;
  }

  /** After a commit: publish what an alias replay admitted, tell live fan-out its opt-ins; failures only logged. */
  function announce(effects: AliasEffects): void {
    try {
      for (const after of effects.committed) after();
      if (effects.rows.length && deps.onSubscriptions) deps.onSubscriptions(effects.rows);
    } catch (err) {
      logger.error({ err }, 'what an alias handshake applied could not be announced');
    }
  }

  async function resolveOne(row: { channel: string; ipfs_hash: string | null; metadata_attempts: number }) {
    const cid = row.ipfs_hash!;
    // Only write if the channel still points at the CID we fetched (an UpdateChannel may have landed meanwhile).
    const sameIdentity = store.db
      .updateTable('channels')
      .where('channel', '=', row.channel)
      .where('ipfs_hash', '=', cid)
      .where('metadata_status', '=', 'pending');
    try {
      const meta = parseChannelMetadata(await ipfs.fetchJson(cid, { signal: abort.signal }));
      const effects: AliasEffects = { subscriptions: [], committed: [], rows: [] };
      const written = await store.db.transaction().execute(async (tx) => {
        const wrote = await applyMetadata(tx, row, cid, meta, effects);
        // Read in the transaction: after the commit the read would queue behind whatever waits for the writer.
        if (effects.subscriptions.length && deps.onSubscriptions)
          effects.rows = await readSubscriptionRows(tx, effects.subscriptions);
        return wrote;
      });
      announce(effects);
      if (!written) {
        logger.debug({ channel: row.channel, cid }, 'channel metadata no longer current: not written');
        return;
      }
      await backfillFeedMeta(row.channel, meta);
      results.inc({ result: 'ok' });
    } catch (err) {
      if (abort.signal.aborted) return;
      const code = isPushError(err) ? err.code : 'PUSH_ERR_INTERNAL';
      const attempts = row.metadata_attempts + 1;
      const give_up = PERMANENT.has(code) || attempts >= maxAttempts;
      await sameIdentity
        .set({
          metadata_status: give_up ? 'failed' : 'pending',
          metadata_attempts: attempts,
          metadata_next_at: nextAttemptAt(attempts, now(), backoff),
        })
        .execute();
      results.inc({ result: give_up ? 'failed' : 'retry' });
      logger.warn(
        { channel: row.channel, cid, code, attempts, giveUp: give_up },
        'channel metadata not resolved',
      );
    }
  }

  /**
   * Notifications admitted before the channel's metadata arrived were rendered without a name ("<name> - <title>"
   * became " - <title>"): give them the name, icon and url now, so feeds read as if the metadata had been there.
   */
  async function backfillFeedMeta(channel: string, meta: { name: string; icon: string; url: string }) {
    const rows = await store.db
      .selectFrom('notifications')
      .select(['id', 'payload'])
      .where('channel', '=', channel)
      .where('payload', 'like', '%"app":""%')
      .orderBy('id', 'desc')
      .limit(1000)
      .execute();
    for (const r of rows) {
      const payload = JSON.parse(r.payload!) as {
        data: { app: string; icon?: string; url?: string };
        notification: { title: string };
      };
      if (payload.data.app !== '') continue;
      payload.data.app = [...meta.name].slice(0, FEED_LIMITS.app).join('');
      payload.data.icon = channelIconLink(publicUrl, channel, meta.icon) ?? '';
      payload.data.url = meta.url;
      if (payload.notification.title.startsWith(' - ')) {
        payload.notification.title = [...`${meta.name}${payload.notification.title}`]
          .slice(0, FEED_LIMITS.title)
          .join('');
      }
      await store.db
        .updateTable('notifications')
        .set({ payload: JSON.stringify(payload) })
        .where('id', '=', r.id)
        .execute();
    }
  }

  /** One pass: resolves the channels that are due. Returns how many it tried. */
  async function runOnce(): Promise<number> {
    const due = await store.db
      .selectFrom('channels')
      .select(['channel', 'ipfs_hash', 'metadata_attempts'])
      .where('metadata_status', '=', 'pending')
      .where('metadata_next_at', '<=', now())
      .orderBy('metadata_next_at')
      .limit(batchSize)
      .execute();
    await Promise.all(due.map(resolveOne));
    return due.length;
  }

  function schedule(delay: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((err) => {
          logger.error({ err }, 'channel metadata pass failed');
          return 0;
        })
        .then((n) => schedule(n > 0 ? 0 : idleMs));
    }, delay);
  }

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      abort.abort();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * The origin to journal a metadata write under: the newest unfinalised block of the channel's core chain that
 * changed the channel row or one of `aliasKeys` (the journal only holds unfinalised blocks), or null when there is
 * none — then every input the write depends on is final.
 */
async function journalOrigin(
  tx: Transaction<DB>,
  chainId: number,
  channel: string,
  aliasKeys: { alias_chain_id: number; alias_address: string }[],
): Promise<WriteOrigin | null> {
  const entries = await tx
    .selectFrom('journal')
    .select(['block_number', 'table_name', 'row_key'])
    .where('chain_id', '=', chainId)
    .where('table_name', 'in', ['channels', 'aliases'])
    .execute();
  let newest: number | null = null;
  for (const e of entries) {
    const key = JSON.parse(e.row_key) as Record<string, unknown>;
    const mine =
      e.table_name === 'channels'
        ? key.channel === channel
        : aliasKeys.some(
            (a) => Number(key.alias_chain_id) === a.alias_chain_id && key.alias_address === a.alias_address,
          );
    if (mine && (newest === null || e.block_number > newest)) newest = e.block_number;
  }
  return newest === null ? null : { chainId, blockNumber: newest, journal: true };
}
