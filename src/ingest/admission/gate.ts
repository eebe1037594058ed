import type { Selectable } from 'kysely';
import { pushError } from '../../errors.js';
import type { AliasesTable, ChannelsTable } from '../../store/schema.js';
import type { Executor } from '../../store/writer.js';

export type ChannelRow = Selectable<ChannelsTable>;

/** State values of `channels.state` (the Core contract's channelState). */
const STATE = { DESTROYED: 0, ACTIVE: 1, DEACTIVATED: 2, BLOCKED: 3 } as const;

export type AliasRow = Selectable<AliasesTable>;

/**
 * The core channel an alias row stands for, once both sides of the handshake are seen. Throws CHANNEL_NOT_FOUND
 * (no such alias) / ALIAS_NOT_VERIFIED.
 */
export function channelOfAlias(
  alias: AliasRow | undefined,
  chainId: number,
  address: string,
  field: string,
): string {
  if (!alias) {
    throw pushError(
      'PUSH_ERR_CHANNEL_NOT_FOUND',
      `No channel has ${address} as its alias on chain ${chainId}`,
      {
        field,
        hint: 'send from the core-chain channel, or complete the alias handshake (verifyChannelAlias on both chains)',
      },
    );
  }
  if (alias.declared !== 1 || alias.confirmed !== 1) {
    throw pushError(
      'PUSH_ERR_ALIAS_NOT_VERIFIED',
      `The alias ${address} on chain ${chainId} is not verified for channel ${alias.channel}`,
      {
        field,
        hint:
          alias.declared !== 1
            ? 'the channel must declare the alias on the core chain'
            : 'the alias must confirm with verifyChannelAlias on its own chain',
      },
    );
  }
  return alias.channel;
}

/** The channel row, or CHANNEL_NOT_FOUND when there is none or it was destroyed. */
export function existingChannel(channel: ChannelRow | undefined, address: string, field: string): ChannelRow {
  if (!channel || channel.state === STATE.DESTROYED) {
    throw pushError('PUSH_ERR_CHANNEL_NOT_FOUND', `Channel ${address} does not exist`, { field });
  }
  return channel;
}

/**
 * The core channel a sender address on `chainId` stands for: itself on the core chain; on another chain, the
 * channel whose alias it is, once both sides of the alias handshake are seen. Throws CHANNEL_NOT_FOUND /
 * ALIAS_NOT_VERIFIED.
 */
export async function resolveChannel(
  db: Executor,
  coreChainId: number,
  chainId: number,
  address: string,
  field: string,
): Promise<{ channel: ChannelRow; viaAlias: boolean }> {
  let channelAddress = address;
  let viaAlias = false;
  if (chainId !== coreChainId) {
    const alias = await db
      .selectFrom('aliases')
      .selectAll()
      .where('alias_chain_id', '=', chainId)
      .where('alias_address', '=', address)
      .executeTakeFirst();
    channelAddress = channelOfAlias(alias, chainId, address, field);
    viaAlias = true;
  }
  const channel = await db
    .selectFrom('channels')
    .selectAll()
    .where('channel', '=', channelAddress)
    .executeTakeFirst();
  return { channel: existingChannel(channel, channelAddress, field), viaAlias };
}

/** Refuses deactivated and blocked channels (sending); subscribing only needs the channel to exist. */
export function assertChannelCanSend(channel: ChannelRow, field: string): void {
  if (channel.state === STATE.BLOCKED) {
    throw pushError('PUSH_ERR_CHANNEL_BLOCKED', `Channel ${channel.channel} is blocked`, { field });
  }
  if (channel.state !== STATE.ACTIVE) {
    throw pushError('PUSH_ERR_CHANNEL_INACTIVE', `Channel ${channel.channel} is deactivated`, {
      field,
      hint: 'the channel owner can reactivate it on the core chain',
    });
  }
}

/** Is `delegate` a current delegate of `channel` (the address as emitted on that chain) on `chainId`? */
export async function isDelegate(
  db: Executor,
  chainId: number,
  channel: string,
  delegate: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('delegates')
    .select('delegate')
    .where('chain_id', '=', chainId)
    .where('channel', '=', channel)
    .where('delegate', '=', delegate)
    .executeTakeFirst();
  return row !== undefined;
}
