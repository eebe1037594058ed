import type { FastifyInstance } from 'fastify';
import { pushError } from '../../errors.js';
import { parseEip155 } from '../../protocol/index.js';
import { findChannel } from '../queries/channels.js';
import type { ReadRouteDeps } from './deps.js';

const DATA_URI = /^data:(image\/(?:png|jpeg|jpg|gif|webp|svg\+xml));base64,([A-Za-z0-9+/=\s]+)$/;

/** `GET /v1/channels/icon/:channel`: the channel's icon as an image (data-URI icons decoded, URLs redirected). */
export function registerIconRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  app.get<{ Params: { channel: string } }>(
    '/apis/v1/channels/icon/:channel',
    {
      schema: {
        summary: 'Channel icon image',
        tags: ['channels'],
        params: {
          type: 'object',
          required: ['channel'],
          properties: { channel: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    async (req, reply) => {
      const account = parseEip155(req.params.channel, 'params.channel');
      const row = await findChannel(deps.store.db, account.address);
      const icon = row?.icon;
      if (!icon) throw pushError('PUSH_ERR_NOT_FOUND', `no icon for channel ${req.params.channel}`);
      const m = DATA_URI.exec(icon);
      if (m) {
        const type = m[1] === 'image/jpg' ? 'image/jpeg' : (m[1] as string);
        return (
          reply
            .type(type)
            .header('Cache-Control', 'public, max-age=3600')
            .header('X-Content-Type-Options', 'nosniff')
            // SVG may carry script: never let it run in the node's origin.
            .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
            .send(Buffer.from((m[2] as string).replace(/\s/g, ''), 'base64'))
        );
      }
      if (/^https?:\/\//.test(icon)) return reply.redirect(icon, 302);
      throw pushError('PUSH_ERR_NOT_FOUND', `the icon of channel ${req.params.channel} is not an image`);
    },
  );
}
