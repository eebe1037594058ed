import type { FastifyInstance } from 'fastify';
import { pushError } from '../../errors.js';
import { parseEip155, toChecksum } from '../../protocol/index.js';
import { resolveChannelAddress } from '../queries/channels.js';
import { listDelegations, listUserSubscriptions } from '../queries/subscriptions.js';
import type { ReadRouteDeps } from './deps.js';
import { params } from './schemas.js';

/** User reads (subscriptions, delegations) and the `/v2/users` pair `PushAPI.initialize` calls (SDK contract §2.1). */
export function registerUserRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const { db } = deps.store;
  const { coreChainId } = deps.config;

  app.get<{ Params: { caip: string }; Querystring: { channel?: string } }>(
    '/apis/v1/users/:caip/subscriptions',
    {
      schema: {
        summary: 'Channels a user is subscribed to',
        description:
          '`user_settings` is the expanded settings JSON as a string, or null when none were chosen.',
        tags: ['users'],
        params: params('caip'),
        querystring: {
          type: 'object',
          properties: { channel: { type: 'string', maxLength: 256, description: 'keep only this channel' } },
        },
      },
    },
    async (req) => {
      const user = parseEip155(req.params.caip, 'params.caip');
      let channel: string | undefined;
      if (req.query.channel) {
        const account = parseEip155(req.query.channel, 'query.channel');
        const resolved = await resolveChannelAddress(db, account, coreChainId);
        if (!resolved) return { subscriptions: [] };
        channel = resolved;
      }
      return { subscriptions: await listUserSubscriptions(db, user.address, channel) };
    },
  );

  app.get<{ Params: { caip: string } }>(
    '/apis/v1/users/:caip/delegations',
    {
      schema: {
        summary: 'Channels a user is a delegate of, on the chain of the CAIP (core chain if none)',
        tags: ['users'],
        params: params('caip'),
      },
    },
    async (req) => {
      const user = parseEip155(req.params.caip, 'params.caip');
      const chainId = user.chainId ?? coreChainId;
      const channels = await listDelegations(db, chainId, user.address);
      return { delegations: channels.map((c) => ({ channel: toChecksum(c), chainId })) };
    },
  );

  // The SDK needs HTTP 200 with JSON `null` for an unknown user; `{}` or a 404 makes PushAPI.initialize throw
  // (pitfall 1). This node keeps no chat profiles, so every user is unknown.
  app.get<{ Querystring: { caip10: string } }>(
    '/apis/v2/users',
    {
      schema: {
        summary: 'Push profile of a user: always JSON null (this node keeps no chat profiles)',
        tags: ['users'],
        querystring: {
          type: 'object',
          required: ['caip10'],
          properties: { caip10: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    async (req, reply) => {
      parseEip155(req.query.caip10, 'query.caip10');
      return reply.type('application/json; charset=utf-8').send('null');
    },
  );

  // Refused on purpose: with a stored PGP key the SDK would sign subscriptions and payloads with pgpv4, which this
  // node does not verify. Refusing keeps PushAPI users keyless, so every signature is EIP-712 (SDK contract §2.1).
  app.post(
    '/apis/v2/users',
    {
      schema: {
        summary: 'Create a Push profile: refused (501), so the SDK stays in EIP-712 mode',
        tags: ['users'],
      },
    },
    async () => {
      throw pushError('PUSH_ERR_UNSUPPORTED', 'this node does not store Push chat profiles or PGP keys', {
        hint: 'PushAPI.initialize still succeeds (read mode for chat); notifications are signed with EIP-712',
      });
    },
  );
}
