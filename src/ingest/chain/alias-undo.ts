import { sql } from 'kysely';
import { parseCaip } from '../../protocol/index.js';
import type { AliasesTable } from '../../store/schema.js';
import type { Executor } from '../../store/writer.js';
import { rederiveSubscriptions } from '../subscriptions.js';

/** An alias handshake: `alias` on chain `aliasChainId` stands for the core `channel`. */
export interface AliasLink {
  aliasChainId: number;
  aliasAddress: string;
  channel: string;
}

const complete = (r: { declared: number; confirmed: number }) => r.declared === 1 && r.confirmed === 1;

/** The aliases row of one alias, if any. */
function aliasRow(exec: Executor, aliasChainId: number, aliasAddress: string) {
  return exec
    .selectFrom('aliases')
    .selectAll()
    .where('alias_chain_id', '=', aliasChainId)
    .where('alias_address', '=', aliasAddress)
    .executeTakeFirst();
}

/**
 * The recorded ChannelAlias/RemoveChannelAlias logs of `chainId` that mention `address` (matched as text, any case:
 * callers check the field that matters), newest first.
 */
function aliasLogsMentioning(exec: Executor, chainId: number, address: string) {
  return exec
    .selectFrom('inputs')
    .select(['event', 'body', 'tx_hash'])
    .where('kind', '=', 'chain')
    .where('chain_id', '=', chainId)
    .where('event', 'in', ['ChannelAlias', 'RemoveChannelAlias'])
    .where(sql<string>`lower(body)`, 'like', `%${address}%`)
    .orderBy('block_number', 'desc')
    .orderBy('log_index', 'desc')
    .execute();
}

/** The aliases rows (as they stand) whose images a rollback of `chainId` above `toBlock` is about to restore. */
async function rowsBeforeRollback(exec: Executor, chainId: number, toBlock: number) {
  const entries = await exec
    .selectFrom('journal')
    .select('row_key')
    .where('chain_id', '=', chainId)
    .where('block_number', '>', toBlock)
    .where('table_name', '=', 'aliases')
    .execute();
  const rows = new Map<string, AliasRow>();
  for (const e of entries) {
    const key = JSON.parse(e.row_key) as { alias_chain_id: number; alias_address: string };
    const id = `${key.alias_chain_id}:${key.alias_address}`;
    if (rows.has(id)) continue;
    const row = await aliasRow(exec, Number(key.alias_chain_id), String(key.alias_address));
    if (row) rows.set(id, row);
  }
  return [...rows.values()];
}

type AliasRow = NonNullable<Awaited<ReturnType<typeof aliasRow>>>;

/**
 * The complete alias handshakes among the aliases rows a rollback of `chainId` above `toBlock` is about to restore
 * (read before `rollbackJournal`, compared after it by `brokenAliases`).
 */
export async function aliasesBeforeRollback(
  exec: Executor,
  chainId: number,
  toBlock: number,
): Promise<AliasLink[]> {
  return (await rowsBeforeRollback(exec, chainId, toBlock)).filter(complete).map((row) => ({
    aliasChainId: Number(row.alias_chain_id),
    aliasAddress: row.alias_address,
    channel: row.channel,
  }));
}

/**
 * The aliases declared through channel metadata (`aliasDetails`, an `ipfs:<cid>` proof) among the rows a rollback of
 * alias chain `chainId` above `toBlock` is about to restore (read before `rollbackJournal`, for
 * `keepMetadataDeclarations`).
 */
export async function metadataDeclarationsBeforeRollback(
  exec: Executor,
  chainId: number,
  toBlock: number,
): Promise<AliasRow[]> {
  return (await rowsBeforeRollback(exec, chainId, toBlock)).filter(
    (row) => row.declared === 1 && row.declare_proof?.startsWith('ipfs:') === true,
  );
}

/** Who emitted a ChannelAlias/RemoveChannelAlias log (`_channelOwnerAddress`), lower-case. */
function emitterOf(body: string): string {
  const args = (JSON.parse(body) as { args: Record<string, unknown> }).args;
  return String(args._channelOwnerAddress ?? '').toLowerCase();
}

/** The core channel an alias's own ChannelAlias log names (`<channel>` or `eip155:<core>:<channel>`), if any. */
function confirmedChannel(body: string, coreChainId: number): string | null {
  const args = (JSON.parse(body) as { args: Record<string, unknown> }).args;
  try {
    const target = parseCaip(String(args._ethereumChannelAddress ?? '').trim());
    if (target.kind !== 'eip155') return null;
    return target.chainId === null || target.chainId === coreChainId ? target.address : null;
  } catch {
    return null;
  }
}

/**
 * After a core-chain rollback restored aliases rows: an image taken when the core chain declared an alias predates
 * the alias's confirmation when that came later from its own chain (not journaled here), and restoring it would erase
 * the confirmation — and with it a handshake the new branch may complete again. The alias chain's last recorded
 * ChannelAlias/RemoveChannelAlias log by the alias says what its half is; it is set again, as its handler would.
 */
export async function reassertConfirmations(
  exec: Executor,
  coreChainId: number,
  touched: readonly { alias_chain_id: number; alias_address: string }[],
): Promise<void> {
  for (const key of touched) {
    const aliasChainId = Number(key.alias_chain_id);
    if (aliasChainId === coreChainId) continue;
    // The alias's own logs: the address may appear in other fields of other logs.
    const last = (await aliasLogsMentioning(exec, aliasChainId, key.alias_address)).find(
      (c) => emitterOf(c.body) === key.alias_address,
    );
    if (last?.event !== 'ChannelAlias') continue;
    const channel = confirmedChannel(last.body, coreChainId);
    if (!channel) continue;
    const row = await aliasRow(exec, aliasChainId, key.alias_address);
    if (row?.channel === channel && row.confirmed === 1) continue;
    // A row standing for another channel is another declaration's: left as it is.
    if (row && row.channel !== channel) continue;
    await writeAlias(exec, aliasChainId, key.alias_address, row !== undefined, {
      channel,
      declared: row?.declared ?? 0,
      confirmed: 1,
      declare_proof: row?.declare_proof ?? null,
      confirm_proof: `eip155:${aliasChainId}:${last.tx_hash}`,
    });
  }
}

type AliasHalves = Pick<
  AliasesTable,
  'channel' | 'declared' | 'confirmed' | 'declare_proof' | 'confirm_proof'
>;

/** Sets an alias row's halves: updates the row when there is one, else creates it. */
async function writeAlias(
  exec: Executor,
  aliasChainId: number,
  aliasAddress: string,
  exists: boolean,
  halves: AliasHalves,
): Promise<void> {
  if (exists) {
    await exec
      .updateTable('aliases')
      .set(halves)
      .where('alias_chain_id', '=', aliasChainId)
      .where('alias_address', '=', aliasAddress)
      .execute();
  } else {
    await exec
      .insertInto('aliases')
      .values({
        alias_chain_id: aliasChainId,
        alias_address: aliasAddress,
        ...halves,
        updated_at: Date.now(),
      })
      .execute();
  }
}

/** The alias (`eip155:<chain>:<alias>`) a core-chain ChannelAlias/RemoveChannelAlias log names, and its channel. */
function declaredAlias(body: string): { channel: string; chainId: number; address: string } | null {
  const args = (JSON.parse(body) as { args: Record<string, unknown> }).args;
  try {
    const target = parseCaip(String(args._ethereumChannelAddress ?? args._baseChannelAddress ?? '').trim());
    if (target.kind !== 'eip155' || target.chainId === null) return null;
    return {
      channel: String(args._channelOwnerAddress).toLowerCase(),
      chainId: target.chainId,
      address: target.address,
    };
  } catch {
    return null;
  }
}

/**
 * The mirror of `reassertConfirmations`, after an alias-chain rollback: an image taken when the alias confirmed
 * predates the core chain's declaration when that was indexed later, and restoring it would erase the declaration.
 * The core chain's last recorded ChannelAlias/RemoveChannelAlias log naming the alias says what that half is — also
 * when the image is older than a core rollback and still holds a declaration that rollback orphaned. (A declaration
 * made through channel metadata `aliasDetails`: `keepMetadataDeclarations`.)
 */
async function reassertDeclarations(
  exec: Executor,
  coreChainId: number,
  rolledBackChainId: number,
  touched: readonly { alias_chain_id: number; alias_address: string }[],
): Promise<void> {
  for (const key of touched) {
    const aliasChainId = Number(key.alias_chain_id);
    if (aliasChainId !== rolledBackChainId || aliasChainId === coreChainId) continue;
    const last = (await aliasLogsMentioning(exec, coreChainId, key.alias_address))
      .map((c) => ({ ...c, target: declaredAlias(c.body) }))
      .find((c) => c.target?.chainId === aliasChainId && c.target.address === key.alias_address);
    const row = await aliasRow(exec, aliasChainId, key.alias_address);
    if (last?.event !== 'ChannelAlias' || !last.target) {
      // The image may carry a core-chain declaration a core rollback has orphaned since: the core chain no longer
      // records it, so the alias is not declared (one made through metadata, `ipfs:` proof, is left as it is).
      if (row?.declared === 1 && row.declare_proof?.startsWith(`eip155:${coreChainId}:`))
        await writeAlias(exec, aliasChainId, key.alias_address, true, {
          channel: row.channel,
          declared: 0,
          confirmed: row.confirmed,
          declare_proof: null,
          confirm_proof: row.confirm_proof,
        });
      continue;
    }
    const channel = last.target.channel;
    if (row?.channel === channel && row.declared === 1) continue;
    // The confirmation half stays only when it confirmed this channel.
    const sameChannel = row?.channel === channel;
    await writeAlias(exec, aliasChainId, key.alias_address, row !== undefined, {
      channel,
      declared: 1,
      confirmed: sameChannel ? row!.confirmed : 0,
      declare_proof: `eip155:${coreChainId}:${last.tx_hash}`,
      confirm_proof: sameChannel ? row!.confirm_proof : null,
    });
  }
}

/** Is `proof` (`ipfs:<cid>`) the metadata `channel` has now, i.e. would its metadata still make this declaration? */
async function madeByCurrentMetadata(
  exec: Executor,
  channel: string,
  proof: string | null,
): Promise<boolean> {
  const row = await exec
    .selectFrom('channels')
    .select('ipfs_hash')
    .where('channel', '=', channel)
    .executeTakeFirst();
  return row !== undefined && `ipfs:${row.ipfs_hash}` === proof;
}

/**
 * After an alias-chain rollback, beside `reassertDeclarations`: a declaration made by channel metadata is no more the
 * alias chain's than a core-chain one, but an image taken when the alias confirmed predates it when the metadata was
 * resolved later, and restoring that image erased it. Each is set again while no other declaration stands for the
 * alias and the channel still has the metadata that made it (a channel update since re-resolves its metadata).
 */
async function keepMetadataDeclarations(exec: Executor, declared: readonly AliasRow[]): Promise<void> {
  for (const before of declared) {
    const aliasChainId = Number(before.alias_chain_id);
    const row = await aliasRow(exec, aliasChainId, before.alias_address);
    if (row?.declared === 1) continue;
    if (!(await madeByCurrentMetadata(exec, before.channel, before.declare_proof))) continue;
    // The confirmation half stays only when it confirmed this channel.
    const sameChannel = row?.channel === before.channel;
    await writeAlias(exec, aliasChainId, before.alias_address, row !== undefined, {
      channel: before.channel,
      declared: 1,
      confirmed: sameChannel ? row!.confirmed : 0,
      declare_proof: before.declare_proof,
      confirm_proof: sameChannel ? row!.confirm_proof : null,
    });
  }
}

/**
 * After an alias-chain rollback, the other side of `keepMetadataDeclarations`: a restored image may hold a declaration
 * made by metadata the channel has since replaced (its updated metadata declared another account on that chain and
 * withdrew this one, not journaled under this chain). A metadata declaration stands only while the channel still has
 * the metadata that made it.
 */
async function dropStaleMetadataDeclarations(
  exec: Executor,
  touched: readonly { alias_chain_id: number; alias_address: string }[],
): Promise<void> {
  for (const key of touched) {
    const aliasChainId = Number(key.alias_chain_id);
    const row = await aliasRow(exec, aliasChainId, key.alias_address);
    if (row?.declared !== 1 || !row.declare_proof?.startsWith('ipfs:')) continue;
    if (await madeByCurrentMetadata(exec, row.channel, row.declare_proof)) continue;
    await writeAlias(exec, aliasChainId, key.alias_address, true, {
      channel: row.channel,
      declared: 0,
      confirmed: row.confirmed,
      declare_proof: null,
      confirm_proof: row.confirm_proof,
    });
  }
}

/**
 * After a rollback of alias chain `chainId`, the declaration half of each restored alias row as the other sources
 * still make it: the core chain's recorded ChannelAlias logs, and the channel's current metadata (`declaredByMetadata`:
 * read before the rollback by `metadataDeclarationsBeforeRollback`).
 */
export async function reassertAliasChainDeclarations(
  exec: Executor,
  coreChainId: number,
  chainId: number,
  touched: readonly { alias_chain_id: number; alias_address: string }[],
  declaredByMetadata: readonly AliasRow[],
): Promise<void> {
  await reassertDeclarations(exec, coreChainId, chainId, touched);
  await keepMetadataDeclarations(exec, declaredByMetadata);
  await dropStaleMetadataDeclarations(exec, touched);
}

/** Of the handshakes complete before a rollback, those it undid (one half gone, or now standing for another channel). */
export async function brokenAliases(exec: Executor, before: readonly AliasLink[]): Promise<AliasLink[]> {
  const broken: AliasLink[] = [];
  for (const link of before) {
    const row = await aliasRow(exec, link.aliasChainId, link.aliasAddress);
    if (!row || !complete(row) || row.channel !== link.channel) broken.push(link);
  }
  return broken;
}

/**
 * Undoes what the alias chain's logs did for the core channel through a handshake a reorg has just undone: its
 * opt-in commands and its admitted notifications. Without the handshake those logs were never the channel's; they
 * stay recorded in `inputs`, and are applied again (alias-inputs.ts) if a handshake completes later — on the new
 * branch, say. Signed requests over HTTP are left alone: they were checked against what the node knew when they came.
 * Returns the opt-in pairs whose state it re-derived (for live fan-out).
 */
export async function undoAliasEffects(
  exec: Executor,
  link: AliasLink,
): Promise<{ channel: string; subscriber: string }[]> {
  const chainOrder = `c:${link.aliasChainId}:%`;
  const events = await exec
    .selectFrom('subscription_events')
    .select('subscriber')
    .where('channel', '=', link.channel)
    .where('chain_id', '=', link.aliasChainId)
    .where('ts_order', 'like', chainOrder)
    .execute();
  await exec
    .deleteFrom('subscription_events')
    .where('channel', '=', link.channel)
    .where('chain_id', '=', link.aliasChainId)
    .where('ts_order', 'like', chainOrder)
    .execute();
  const pairs = [...new Set(events.map((e) => e.subscriber))].map((subscriber) => ({
    channel: link.channel,
    subscriber,
  }));
  await rederiveSubscriptions(exec, pairs);

  const notifications = await exec
    .selectFrom('notifications')
    .select('id')
    .where('channel', '=', link.channel)
    .where('chain_id', '=', link.aliasChainId)
    .where('input_key', 'like', `chain:${link.aliasChainId}:%`)
    .execute();
  const ids = notifications.map((n) => Number(n.id));
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    await exec.deleteFrom('feed_entries').where('notification_id', 'in', part).execute();
    await exec.deleteFrom('notifications').where('id', 'in', part).execute();
  }
  return pairs;
}
