import type { FastifyInstance } from 'fastify';
import { pushError } from '../../errors.js';
import { parseEip155 } from '../../protocol/index.js';
import { listChannelNotifications, listUserFeed } from '../../store/repos/feeds.js';
import { resolveChannelAddress } from '../queries/channels.js';
import { listSenderFeeds, listSpamChannels } from '../queries/feeds.js';
import { toPage } from '../queries/pagination.js';
import type { ReadRouteDeps } from './deps.js';
import { pageQuery, params } from './schemas.js';

interface FeedQs {
  page?: number;
  limit?: number;
  spam?: boolean;
  showHidden?: boolean;
  before?: number;
}

const feedQuery = {
  type: 'object',
  properties: {
    ...pageQuery,
    spam: { type: 'boolean', default: false, description: 'true: the spam box; false: the inbox' },
    showHidden: { type: 'boolean', default: false, description: 'include notifications sent as hidden' },
    before: {
      type: 'integer',
      not: { const: 0 },
      // Beyond, ids are no longer exact (and Postgres cannot bind one beyond int8): refused rather than not found.
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        'keyset cursor: only notifications older than this payload_id (cheap deep pages); a negative payload_id ' +
        '(a subset in the spam box) counts as its absolute value',
    },
  },
} as const;

const typeQuery = {
  type: 'integer',
  enum: [1, 3, 4],
  description: '1 broadcast, 3 targeted, 4 subset',
} as const;

/** Inbox/spam feeds of users and what channels sent (SDK contract §2.2, §2.11). */
export function registerFeedRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const { db } = deps.store;
  const { coreChainId } = deps.config;
  const page = (q: { page?: number; limit?: number }) => toPage(q, deps.config.api.maxPageSize);

  async function coreChannel(caip: string, field: string): Promise<string> {
    const account = parseEip155(caip, field);
    const channel = await resolveChannelAddress(db, account, coreChainId);
    if (!channel) {
      throw pushError('PUSH_ERR_CHANNEL_NOT_FOUND', `channel not found: ${caip}`, {
        field,
        hint: 'an alias-chain address must be a verified alias of a channel',
      });
    }
    return channel;
  }

  /** One page of a user's inbox or spam box, optionally of one channel. */
  function userFeed(user: string, q: FeedQs, channel?: string) {
    const p = page(q);
    return listUserFeed(db, {
      user,
      box: q.spam ? 'spam' : 'inbox',
      page: p.page,
      limit: p.limit,
      showHidden: q.showHidden ?? false,
      ...(channel !== undefined ? { channel } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
  }

  for (const suffix of ['feeds', 'notifications']) {
    app.get<{ Params: { caip: string }; Querystring: FeedQs }>(
      `/apis/v1/users/:caip/${suffix}`,
      {
        schema: {
          summary: `A user's inbox or spam box, newest first${suffix === 'notifications' ? ' (alias of /feeds)' : ''}`,
          description:
            '`{feeds: [feed item], itemcount}`; each item has payload.data (type a number) and payload.notification.',
          tags: ['feeds'],
          params: params('caip'),
          querystring: feedQuery,
        },
      },
      async (req) => {
        return userFeed(parseEip155(req.params.caip, 'params.caip').address, req.query);
      },
    );

    app.get<{ Params: { caip: string; channel: string }; Querystring: FeedQs }>(
      `/apis/v1/users/:caip/channels/:channel/${suffix}`,
      {
        schema: {
          summary: `A user's inbox or spam box, one channel only${suffix === 'notifications' ? ' (alias of /feeds)' : ''}`,
          tags: ['feeds'],
          params: params('caip', 'channel'),
          querystring: feedQuery,
        },
      },
      async (req) => {
        const user = parseEip155(req.params.caip, 'params.caip');
        const channel = await coreChannel(req.params.channel, 'params.channel');
        return userFeed(user.address, req.query, channel);
      },
    );

    app.get<{
      Params: { caip: string };
      Querystring: { page?: number; limit?: number; notificationType?: number };
    }>(
      `/apis/v1/channels/:caip/${suffix}`,
      {
        schema: {
          summary: `What a channel sent from this CAIP's chain, as feed items${suffix === 'notifications' ? ' (alias of /feeds)' : ''}`,
          description: 'Hidden notifications are not listed. `{feeds, itemcount}`.',
          tags: ['feeds'],
          params: params('caip'),
          querystring: { type: 'object', properties: { ...pageQuery, notificationType: typeQuery } },
        },
      },
      async (req) => {
        const account = parseEip155(req.params.caip, 'params.caip');
        const channel = await coreChannel(req.params.caip, 'params.caip');
        const chainId = account.chainId ?? coreChainId;
        return listSenderFeeds(
          db,
          { channel, sender: `eip155:${chainId}:${account.address}`, type: req.query.notificationType },
          page(req.query),
        );
      },
    );
  }

  app.get<{ Params: { caip: string } }>(
    '/apis/v1/users/:caip/spam/channels',
    {
      schema: {
        summary: 'Channels that sent to this user’s spam box: [{channel, alias_address}]',
        tags: ['feeds'],
        params: params('caip'),
      },
    },
    async (req) => {
      const user = parseEip155(req.params.caip, 'params.caip');
      return listSpamChannels(db, user.address, coreChainId);
    },
  );

  app.get<{
    Params: { caip: string };
    Querystring: { page?: number; limit?: number; notificationType?: number; raw?: boolean };
  }>(
    '/apis/v2/channels/:caip/notifications',
    {
      schema: {
        summary: 'A channel’s notifications from every chain (v2 shape), newest first, with total',
        description:
          '`{notifications: [{timestamp, from, to, notifID, channel, meta, message, config, source, raw}], total}`',
        tags: ['feeds'],
        params: params('caip'),
        querystring: {
          type: 'object',
          properties: { ...pageQuery, notificationType: typeQuery, raw: { type: 'boolean', default: false } },
        },
      },
    },
    async (req) => {
      const channel = await coreChannel(req.params.caip, 'params.caip');
      const p = page(req.query);
      const result = await listChannelNotifications(db, {
        channel,
        page: p.page,
        limit: p.limit,
        ...(req.query.notificationType !== undefined ? { type: req.query.notificationType } : {}),
      });
      if (req.query.raw) return result;
      return {
        notifications: result.notifications.map(({ raw: _raw, ...n }) => n),
        total: result.total,
      };
    },
  );
}
