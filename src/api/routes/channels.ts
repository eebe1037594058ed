import type { FastifyInstance } from 'fastify';
import { pushError } from '../../errors.js';
import { parseEip155, toChecksum } from '../../protocol/index.js';
import {
  aliasesOf,
  type ChannelListFilter,
  type ChannelListOrder,
  countSubscribers,
  findChannel,
  formatChannel,
  listChannels,
  resolveChannelAddress,
} from '../queries/channels.js';
import { toPage } from '../queries/pagination.js';
import {
  allSubscribers,
  channelSettingsOf,
  listDelegates,
  listSubscribers,
  userSettingsOf,
} from '../queries/subscriptions.js';
import type { ReadRouteDeps } from './deps.js';
import { pageQuery, params } from './schemas.js';

/** The legacy `_get_subscribers` answers everything at once; this bounds it. */
const LEGACY_SUBSCRIBERS_MAX = 100_000;

interface PageQs {
  page?: number;
  limit?: number;
}

/** The list and search filters the SDK and the Push dApp send (`channel.list` / `channel.search` options). */
interface ListFilterQs {
  tag?: string;
  filter?: number;
  user_subscribed?: string;
}

/** Channel reads: list, search, one channel, its subscribers and delegates (SDK contract §2.4–2.9). */
export function registerChannelRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const { db } = deps.store;
  const { coreChainId } = deps.config;
  const view = { publicUrl: deps.config.publicUrl };
  const page = (q: PageQs) => toPage(q, deps.config.api.maxPageSize);

  async function channelOr404(caip: string, field = 'params.caip') {
    const account = parseEip155(caip, field);
    const address = await resolveChannelAddress(db, account, coreChainId);
    const row = address ? await findChannel(db, address) : null;
    if (!row) {
      throw pushError('PUSH_ERR_CHANNEL_NOT_FOUND', `channel not found: ${caip}`, {
        field,
        hint: 'channels are created on the core chain; an alias chain address must be a verified alias',
      });
    }
    return { account, row };
  }

  async function records(rows: Parameters<typeof formatChannel>[0][], counts: number[]) {
    const aliases = await aliasesOf(
      db,
      rows.map((r) => r.channel),
    );
    return rows.map((r, i) => formatChannel(r, { subscriberCount: counts[i] ?? 0, aliases }, view));
  }

  /**
   * `filter` is a chain id: the Push dApp's network picker sends it (omitting it for Ethereum, the core chain) and the
   * SDK types it as a number. `user_subscribed` is an account, since these reads carry no identity of their own.
   */
  function listFilterOf(q: ListFilterQs): ChannelListFilter {
    const filter: ChannelListFilter = {};
    if (q.tag) filter.tag = q.tag;
    if (q.filter !== undefined && q.filter !== coreChainId) filter.aliasChainId = q.filter;
    if (q.user_subscribed !== undefined) {
      filter.subscriber = parseEip155(q.user_subscribed, 'querystring.user_subscribed').address;
    }
    return filter;
  }

  const listQuery = {
    type: 'object',
    properties: {
      ...pageQuery,
      sort: { type: 'string' },
      order: {
        type: 'string',
        enum: ['asc', 'desc'],
        default: 'desc',
        description:
          'Direction of the list (verified status, then subscriber count): `desc` verified and most subscribed first',
      },
      tag: { type: 'string', maxLength: 128, description: 'keep channels with this tag (any case)' },
      filter: {
        type: 'integer',
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description:
          'chain id: keep channels reachable on that chain (an alias there, declared and confirmed); ' +
          'the core chain keeps every channel',
      },
      user_subscribed: {
        type: 'string',
        minLength: 1,
        maxLength: 256,
        description:
          'account (CAIP-10 or 0x): keep channels it is currently subscribed to, whatever chain it subscribed on',
      },
    },
  } as const;

  app.get<{ Querystring: PageQs & ListFilterQs & { order?: ChannelListOrder } }>(
    '/apis/v1/channels',
    {
      schema: {
        summary: 'List active channels by verified status, then by subscriber count (`order`, default desc)',
        description:
          'Filters combine: `tag`, `filter` (chain id) and `user_subscribed` (account); `itemcount` counts what they keep.',
        tags: ['channels'],
        querystring: listQuery,
      },
    },
    async (req) => {
      const { rows, total } = await listChannels(
        db,
        page(req.query),
        listFilterOf(req.query),
        req.query.order ?? 'desc',
      );
      return {
        channels: await records(
          rows,
          rows.map((r) => r.subscriber_count),
        ),
        itemcount: total,
      };
    },
  );

  app.get<{ Querystring: PageQs & ListFilterQs & { query: string } }>(
    '/apis/v1/channels/search',
    {
      schema: {
        summary: 'Search active channels by name or address',
        description:
          'The count is returned as `itemCount` (camel case: the SDK reads that spelling). `tag`, `filter` and ' +
          '`user_subscribed` narrow the search as they narrow the list.',
        tags: ['channels'],
        querystring: {
          ...listQuery,
          required: ['query'],
          properties: { ...listQuery.properties, query: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    async (req) => {
      const { rows, total } = await listChannels(db, page(req.query), {
        ...listFilterOf(req.query),
        query: req.query.query,
      });
      const channels = await records(
        rows,
        rows.map((r) => r.subscriber_count),
      );
      return { channels, itemCount: total };
    },
  );

  app.get<{ Params: { caip: string } }>(
    '/apis/v1/channels/:caip',
    {
      schema: {
        summary: 'One channel; 404 when the node does not know it',
        description:
          '`channel_settings` is the expanded settings JSON as a STRING (or null): the SDK parses it before sending.',
        tags: ['channels'],
        params: params('caip'),
      },
    },
    async (req) => {
      const { row } = await channelOr404(req.params.caip);
      const [record] = await records([row], [await countSubscribers(db, row.channel)]);
      return record;
    },
  );

  app.get<{ Params: { caip: string }; Querystring: PageQs & { setting?: boolean; category?: number } }>(
    '/apis/v1/channels/:caip/subscribers',
    {
      schema: {
        summary: 'Current subscribers of a channel',
        description:
          'With `setting=true` each entry is `{subscriber, settings}` (settings: the expanded JSON string or null). ' +
          '`category` (1-based setting number) keeps subscribers for whom that option is on.',
        tags: ['channels'],
        params: params('caip'),
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            setting: { type: 'boolean', default: false },
            category: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (req) => {
      const { row } = await channelOr404(req.params.caip);
      const settings = channelSettingsOf(row);
      const { category, setting } = req.query;
      const result = await listSubscribers(db, row.channel, page(req.query), {
        ...(category !== undefined ? { category } : {}),
        channelSettings: settings,
      });
      const subscribers = setting
        ? result.subscribers.map((s) => {
            const user = userSettingsOf(s.settings_raw, settings);
            return { subscriber: s.subscriber, settings: user ? JSON.stringify(user) : null };
          })
        : result.subscribers.map((s) => s.subscriber);
      return { itemcount: result.itemcount, subscribers };
    },
  );

  // Legacy route, mounted without a version segment (SDK contract §2.8, pitfall 9).
  app.post<{ Body: { channel: string; blockchain?: string | number; op?: string } }>(
    '/apis/channels/_get_subscribers',
    {
      schema: {
        summary: 'Legacy: every current subscriber of a channel (no version segment in the path)',
        tags: ['channels'],
        body: {
          type: 'object',
          required: ['channel'],
          properties: {
            channel: { type: 'string', minLength: 1, maxLength: 256 },
            // The SDK sends a string; older callers a number. Either way digits only (not "1e3").
            blockchain: {
              anyOf: [
                { type: 'string', pattern: '^[1-9][0-9]*$', maxLength: 20 },
                { type: 'integer', minimum: 1 },
              ],
              description: 'chain id, e.g. "11155111"',
            },
            op: { type: 'string' },
          },
        },
      },
    },
    async (req) => {
      const account = parseEip155(req.body.channel, 'body.channel');
      const chainId = req.body.blockchain === undefined ? account.chainId : Number(req.body.blockchain);
      if (chainId !== null && !(Number.isSafeInteger(chainId) && chainId > 0)) {
        throw pushError('PUSH_ERR_VALIDATION', 'blockchain must be a chain id such as "11155111"', {
          field: 'body.blockchain',
        });
      }
      const address = await resolveChannelAddress(db, { ...account, chainId }, coreChainId);
      const row = address ? await findChannel(db, address) : null;
      const subscribers = row ? await allSubscribers(db, row.channel, LEGACY_SUBSCRIBERS_MAX) : [];
      return { success: 1, subscribers };
    },
  );

  app.get<{ Params: { caip: string } }>(
    '/apis/v1/channels/:caip/delegates',
    {
      schema: {
        summary: 'Delegates of a channel on the chain of the CAIP (delegates are per chain)',
        tags: ['channels'],
        params: params('caip'),
      },
    },
    async (req) => {
      const account = parseEip155(req.params.caip, 'params.caip');
      const delegates = await listDelegates(db, account.chainId ?? coreChainId, account.address);
      return { delegates: delegates.map((d) => toChecksum(d)) };
    },
  );
}
