import type { ChainLog, Hex } from '../../chains/types.js';
import type { Executor } from '../../store/writer.js';

/** Comm events whose `channel` an alias chain's indexer resolves through the alias (opt-ins, notifications). */
export const ALIAS_EVENTS: ReadonlySet<string> = new Set([
  'Subscribe',
  'Unsubscribe',
  'UserNotifcationSettingsAdded',
  'SendNotification',
]);

/** The channel an ALIAS_EVENTS log names, lower case (recorded in `inputs.channel`); null for other events. */
export function loggedChannel(event: string, args: Record<string, unknown>): string | null {
  if (!ALIAS_EVENTS.has(event)) return null;
  const channel = args.channel ?? args._channel;
  return typeof channel === 'string' ? channel.toLowerCase() : null;
}

/**
 * The logs an alias chain recorded for `alias` as their channel, in chain order, up to (not including) `before` when
 * given. Chains are indexed independently, so these may have been recorded (and set aside: the alias was not verified
 * yet) before the core chain's half of the handshake was indexed; they are applied again when it completes, so that the
 * result does not depend on which chain the node reached first. Read from the recorded inputs: the body keeps the
 * decoded args (uints as decimal strings).
 */
export async function aliasInputs(
  exec: Executor,
  chainId: number,
  alias: string,
  before?: { blockNumber: number; logIndex: number },
): Promise<ChainLog[]> {
  // inputs_chain_channel (migration 009): the alias's own logs, in chain order, without reading the rest.
  const rows = await exec
    .selectFrom('inputs')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('channel', '=', alias)
    .where('kind', '=', 'chain')
    .$if(before !== undefined, (qb) =>
      qb.where((eb) =>
        eb.or([
          eb('block_number', '<', before!.blockNumber),
          eb.and([eb('block_number', '=', before!.blockNumber), eb('log_index', '<', before!.logIndex)]),
        ]),
      ),
    )
    .orderBy('block_number')
    .orderBy('log_index')
    .execute();
  const logs: ChainLog[] = [];
  for (const r of rows) {
    const body = JSON.parse(r.body) as {
      contract: ChainLog['contract'];
      address: Hex;
      topic0: Hex;
      txIndex: number;
      args: Record<string, unknown>;
    };
    logs.push({
      chainId,
      blockNumber: Number(r.block_number),
      blockHash: r.block_hash as Hex,
      logIndex: Number(r.log_index),
      txHash: r.tx_hash as Hex,
      txIndex: body.txIndex,
      address: body.address,
      contract: body.contract,
      event: r.event,
      args: body.args,
      timestamp: Number(r.ts) / 1000,
      topic0: body.topic0,
    });
  }
  return logs;
}
