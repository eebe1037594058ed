import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pushError } from '../errors.js';
import { packageRoot } from '../package-root.js';

interface Asset {
  url: string;
  file: string;
  type: string;
}

/**
 * Every file the dashboard serves, each at a fixed URL. Nothing from the request reaches the file system: a path
 * not in this list is answered by the node's 404 handler.
 */
export const UI_ASSETS: readonly Asset[] = [
  { url: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { url: '/ui/dashboard.js', file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  { url: '/ui/dashboard.css', file: 'dashboard.css', type: 'text/css; charset=utf-8' },
];

/**
 * The page talks only to the node's own routes; channel icons are whatever URL a channel published (or the node's
 * icon route for data-URI icons), so images may come from anywhere, and nothing else may.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: https: http:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where the files are. They are not compiled, so `npm run build` does not copy them to dist/: both `src/ui/*.ts`
 * (tsx, vitest) and `dist/ui/*.js` (the built CLI) read them from the package's src/ui/.
 */
export function uiDir(): string {
  return join(packageRoot(), 'src', 'ui');
}

/**
 * The node's dashboard at `GET /` (plus its script and styles under `/ui/`). Files are read on each request (they are
 * small, and edits show on reload) and revalidated by the browser with an ETag (`Cache-Control: no-cache`).
 */
export function registerUiRoutes(app: FastifyInstance, opts: { dir?: string } = {}): void {
  const dir = opts.dir ?? uiDir();
  for (const asset of UI_ASSETS) {
    app.get(asset.url, async (req, reply) => {
      let body: Buffer;
      try {
        body = await readFile(join(dir, asset.file));
      } catch (err) {
        throw pushError('PUSH_ERR_NOT_FOUND', `the dashboard file ${asset.file} is not installed`, {
          hint: `expected in ${dir}`,
          cause: err,
        });
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      reply
        .header('Cache-Control', 'no-cache')
        .header('ETag', etag)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Referrer-Policy', 'no-referrer')
        .header('Content-Security-Policy', CSP);
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type(asset.type).send(body);
    });
  }
}
