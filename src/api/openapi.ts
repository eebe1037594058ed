import type { FastifyInstance, RouteOptions } from 'fastify';
import { VERSION } from '../version.js';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document and the docs page. */
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
}

type JsonSchema = { type?: string; properties?: Record<string, unknown>; required?: readonly string[] };

interface CollectedRoute {
  method: string;
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
}

export interface OpenApiCollector {
  routes(): readonly CollectedRoute[];
  document(opts?: { serverUrl?: string }): Record<string, unknown>;
}

/**
 * Collects every route registered after it (with a `schema.summary`) into an OpenAPI 3.1 document. It must be
 * created before the routes it documents are registered (it listens to `onRoute`).
 */
export function createOpenApiCollector(app: FastifyInstance): OpenApiCollector {
  const collected: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.schema?.summary) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      // ignoreTrailingSlash registers each route twice; document one.
      if (route.url.endsWith('/') && route.url !== '/') continue;
      if (collected.some((c) => c.method === method && c.url === route.url)) continue;
      collected.push({ method, url: route.url, schema: route.schema });
    }
  });

  return {
    routes: () => collected,
    document(opts = {}) {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const r of collected) {
        const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const parameters = [
          ...schemaParameters(r.schema.params as JsonSchema | undefined, 'path'),
          ...schemaParameters(r.schema.querystring as JsonSchema | undefined, 'query'),
        ];
        const op: Record<string, unknown> = {
          summary: r.schema.summary,
          ...(r.schema.description ? { description: r.schema.description } : {}),
          ...(r.schema.tags ? { tags: r.schema.tags } : {}),
          ...(parameters.length ? { parameters } : {}),
          ...(r.schema.body
            ? { requestBody: { required: true, content: { 'application/json': { schema: r.schema.body } } } }
            : {}),
          responses: {
            '2XX': { description: 'Success (see the description for the shape)' },
            '4XX': {
              description:
                'Refused: `{"error":{"info","code","field?","hint?"}}` with a stable PUSH_ERR_* code',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          },
        };
        paths[path] = { ...(paths[path] ?? {}), [r.method.toLowerCase()]: op };
      }
      return {
        openapi: '3.1.0',
        info: {
          title: 'Push Node API',
          version: VERSION,
          description:
            'The notification API of an independent Push Protocol node, compatible with @pushprotocol/restapi 1.7. ' +
            'Every `limit` is capped at the node’s `api.maxPageSize` (default 100). Live feeds: socket.io v4 on the ' +
            'same origin, query `address=<caip>` (events `userFeeds`, `userSpamFeeds`), `lastId=<payload_id>` to ' +
            'resume after a disconnect, `mode=delivery` for Web2 delivery nodes (`liveFeeds`, `historicalFeeds`).',
        },
        ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
        paths,
        components: {
          schemas: {
            Error: {
              type: 'object',
              properties: {
                error: {
                  type: 'object',
                  required: ['info', 'code'],
                  properties: {
                    info: { type: 'string' },
                    code: { type: 'string', example: 'PUSH_ERR_VALIDATION' },
                    field: { type: 'string' },
                    hint: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      };
    },
  };
}

function schemaParameters(schema: JsonSchema | undefined, where: 'path' | 'query') {
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => {
    const { description, ...rest } = s as { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A self-contained HTML page (no external scripts) listing every documented route. */
export function renderDocsPage(doc: ReturnType<OpenApiCollector['document']>): string {
  const info = doc.info as { title: string; version: string; description: string };
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(
    doc.paths as Record<string, Record<string, Record<string, unknown>>>,
  )) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (
        (op.parameters as { name: string; in: string; required: boolean; description?: string }[]) ?? []
      )
        .map(
          (p) =>
            `<li><code>${escapeHtml(p.name)}</code> <em>${p.in}${p.required ? ', required' : ''}</em>${
              p.description ? ` — ${escapeHtml(p.description)}` : ''
            }</li>`,
        )
        .join('');
      rows.push(
        `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>` +
          `<p>${escapeHtml(String(op.summary ?? ''))}</p>` +
          (op.description ? `<p class="d">${escapeHtml(String(op.description))}</p>` : '') +
          (params ? `<ul>${params}</ul>` : '') +
          '</section>',
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h3{margin:.3rem 0;font-size:1rem}.m{display:inline-block;min-width:3.5rem;
font-weight:600}.get{color:#06c}.post{color:#080}.d{color:#555}code{background:#f4f4f4;padding:0 .2rem}</style></head>
<body><h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1><p>${escapeHtml(info.description)}</p>
<p>Machine-readable: <a href="/apis/docs/openapi.json">/apis/docs/openapi.json</a> (OpenAPI 3.1).</p>
${rows.join('\n')}</body></html>`;
}

/** `GET /apis/docs` (HTML) and `GET /apis/docs/openapi.json`. */
export function registerDocsRoutes(
  app: FastifyInstance,
  deps: { collector: OpenApiCollector; publicUrl?: string },
): void {
  const doc = () => deps.collector.document(deps.publicUrl ? { serverUrl: deps.publicUrl } : {});
  app.get('/apis/docs/openapi.json', async () => doc());
  app.get('/apis/docs', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(renderDocsPage(doc())),
  );
}
