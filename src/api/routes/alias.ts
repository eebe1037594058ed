import type { FastifyInstance } from 'fastify';
import { parseEip155, toChecksum } from '../../protocol/index.js';
import { CHANNEL_STATE } from '../queries/channels.js';
import { findAlias } from '../queries/subscriptions.js';
import type { ReadRouteDeps } from './deps.js';
import { params } from './schemas.js';

/**
 * `GET /v1/alias/:caip/channel`: the core channel an alias-chain address stands for, or `{}` (SDK contract §2.12).
 * `channel.send` from an alias chain reads `.channel` to fetch the channel's settings.
 */
export function registerAliasRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const { db } = deps.store;
  app.get<{ Params: { caip: string } }>(
    '/apis/v1/alias/:caip/channel',
    {
      schema: {
        summary: 'The channel an alias address belongs to, or {}',
        description: '`is_alias_verified` is 1 once both sides of the alias handshake are on chain.',
        tags: ['alias'],
        params: params('caip'),
      },
    },
    async (req) => {
      const account = parseEip155(req.params.caip, 'params.caip');
      if (account.chainId === null || account.chainId === deps.config.coreChainId) return {};
      const row = await findAlias(db, account.chainId, account.address);
      if (!row) return {};
      return {
        channel: toChecksum(row.channel),
        alias_address: toChecksum(row.alias_address),
        alias_blockchain_id: String(row.alias_chain_id),
        is_alias_verified: row.declared === 1 && row.confirmed === 1 ? 1 : 0,
        activation_status: row.state === CHANNEL_STATE.ACTIVE ? 1 : 0,
        blocked: row.state === CHANNEL_STATE.BLOCKED ? 1 : 0,
      };
    },
  );
}
