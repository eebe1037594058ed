import type { FastifyInstance } from 'fastify';
import { pushError } from '../../errors.js';
import { parseEip155 } from '../../protocol/index.js';
import {
  aliasesOf,
  CHANNEL_STATE,
  findChannel,
  formatChannel,
  listChannels,
  parseTags,
  resolveChannelAddress,
} from '../queries/channels.js';
import { toPage } from '../queries/pagination.js';
import type { ReadRouteDeps } from './deps.js';
import { pageQuery, params } from './schemas.js';

/** Channel tags (SDK contract §2.13). Tags come from the channel's metadata (at most 5 per channel). */
export function registerTagRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const { db } = deps.store;
  const view = { publicUrl: deps.config.publicUrl };

  app.get<{ Params: { caip: string } }>(
    '/apis/v1/channels/:caip/tags',
    { schema: { summary: 'Tags of a channel', tags: ['tags'], params: params('caip') } },
    async (req) => {
      const account = parseEip155(req.params.caip, 'params.caip');
      const address = await resolveChannelAddress(db, account, deps.config.coreChainId);
      const row = address ? await findChannel(db, address) : null;
      if (!row) throw pushError('PUSH_ERR_CHANNEL_NOT_FOUND', `channel not found: ${req.params.caip}`);
      return { tags: parseTags(row.tags) };
    },
  );

  app.get<{ Querystring: { page?: number; limit?: number; query: string } }>(
    '/apis/v1/channels/search/tags',
    {
      schema: {
        summary: 'Active channels carrying a tag',
        tags: ['tags'],
        querystring: {
          type: 'object',
          required: ['query'],
          properties: { ...pageQuery, query: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
    },
    async (req) => {
      const { rows, total } = await listChannels(db, toPage(req.query, deps.config.api.maxPageSize), {
        tag: req.query.query,
      });
      const aliases = await aliasesOf(
        db,
        rows.map((r) => r.channel),
      );
      return {
        channels: rows.map((r) => formatChannel(r, { subscriberCount: r.subscriber_count, aliases }, view)),
        itemcount: total,
      };
    },
  );

  app.get<{ Querystring: { page?: number; limit?: number; order?: 'asc' | 'desc' } }>(
    '/apis/v1/channels/tags/all',
    {
      schema: {
        summary: 'Every tag in use by active channels, with the number of channels carrying it',
        description:
          'Tags are those of channel metadata (`filter` PUSH/USER/* is accepted; this node has only channel tags).',
        tags: ['tags'],
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            filter: { type: 'string' },
          },
        },
      },
    },
    async (req) => {
      const rows = await db
        .selectFrom('channels')
        .select('tags')
        .where('state', '=', CHANNEL_STATE.ACTIVE)
        .where('tags', 'is not', null)
        .execute();
      const counts = new Map<string, number>();
      for (const r of rows)
        for (const t of new Set(parseTags(r.tags))) counts.set(t, (counts.get(t) ?? 0) + 1);
      const dir = req.query.order === 'asc' ? 1 : -1;
      const all = [...counts]
        .map(([tag, channels]) => ({ tag, channels }))
        .sort((a, b) => dir * (a.channels - b.channels) || a.tag.localeCompare(b.tag));
      const page = toPage(req.query, deps.config.api.maxPageSize);
      return { tags: all.slice(page.offset, page.offset + page.limit), itemcount: all.length };
    },
  );
}
