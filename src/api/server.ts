import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/config.js';
import { pushError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { errorHandler, notFoundHandler } from './errors.js';

export interface ApiServerDeps {
  config: Pick<NodeConfig, 'api'>;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The HTTP server: Fastify with the node's error shape, CORS for browser SDK users and request metrics.
 * Routes are registered by the caller (node.ts) before `listen`.
 */
export function createApiServer({ config, logger, metrics }: ApiServerDeps): FastifyInstance {
  const handleError = errorHandler(logger);
  const app = Fastify({
    // Per-request logs would dominate the log and the intake's CPU: requests are counted in metrics instead.
    loggerInstance: logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: config.api.bodyLimitBytes,
    // The client IP the per-IP rate limit counts: behind a proxy, the one it forwards (when trusted).
    trustProxy: config.api.trustProxy,
    // The SDK calls `/v1/payloads/`, `/v1/channels/search/` and `/v2/users/?caip10=` with trailing slashes.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // In-flight requests finish on close; new connections are refused.
    forceCloseConnections: 'idle',
    schemaController: { compilersFactory: { buildValidator: validatorWithoutBodyCoercion() } },
    // A URL the router cannot take (bad percent-encoding, a segment over maxParamLength) gets the node's error body.
    frameworkErrors: (err, req, reply) => handleError(err, req, reply),
    clientErrorHandler,
  });

  app.register(cors, {
    origin: config.api.corsOrigins.includes('*') ? true : config.api.corsOrigins,
    // The SDK sends X-JS-SDK-VERSION on every call; browsers preflight it.
    allowedHeaders: ['Content-Type', 'X-JS-SDK-VERSION', 'Authorization'],
    exposedHeaders: ['Retry-After', 'x-deprecation-notice'],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    // An OPTIONS without Origin (not a browser's preflight) is answered like one, not refused as plain text.
    strictPreflight: false,
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(notFoundHandler);

  let closing = false;
  app.addHook('onRequest', async () => {
    if (closing) throw pushError('PUSH_ERR_SHUTTING_DOWN');
  });
  app.addHook('preHandler', async (req) => checkQuery(req.query));
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  return app;
}

type BuildValidator = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

/**
 * Fastify's own validator, except that a JSON body is not type-coerced: a query string is text and must be
 * (`?page=2`), but a body states its types, and `{"verificationProof": ["eip712v2:…"]}` or `{"channel": 5}` is a
 * wrong request, not one to be converted into the right one.
 */
function validatorWithoutBodyCoercion(): BuildValidator {
  // Fastify's dependency, resolved from Fastify: the very compiler it would build its default validator with.
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const { AjvCompiler } = fromFastify('@fastify/ajv-compiler') as { AjvCompiler: () => BuildValidator };
  const coercing = AjvCompiler();
  const strict = AjvCompiler();
  return (externalSchemas, options) => {
    const other = coercing(externalSchemas, options);
    const noCoercion = { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } };
    const body = strict(externalSchemas, noCoercion as typeof options);
    return (route) => (route.httpPart === 'body' ? body : other)(route);
  };
}

/**
 * What schemas cannot refuse in a query (run after validation): Ajv turns `?page=1e400` into Infinity and lets it
 * pass every integer bound, and Postgres text cannot hold U+0000 (a search for it failed with 500).
 */
function checkQuery(query: unknown): void {
  if (!query || typeof query !== 'object') return;
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      let wrong: string | null = null;
      if (typeof v === 'number' && !Number.isFinite(v)) wrong = 'must be a finite number';
      if (typeof v === 'string' && v.includes('\u0000'))
        wrong = 'must not contain the character U+0000 (NUL)';
      if (wrong) {
        throw pushError('PUSH_ERR_VALIDATION', `querystring/${key} ${wrong}`, {
          field: `querystring.${key}`,
        });
      }
    }
  }
}

/**
 * What Node's HTTP parser refuses before any route runs (headers over its size limit, a request line that is not
 * HTTP, a Content-Length that is not a number) is answered in the node's error shape too, then the socket closed.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, info] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers (the URL included) are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time']
        : [400, `the request is not valid HTTP/1.1 (${err.code ?? 'unparsable'})`];
  const body = JSON.stringify(pushError('PUSH_ERR_VALIDATION', info, { status }).toBody());
  // As Node's own handler: a response already under way on this socket (pipelined requests) must not be corrupted.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Listens, turning "port in use" and similar into one clear PushError. */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw pushError('PUSH_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use`, {
        field: 'port',
        hint: `stop the other process (e.g. \`lsof -i :${port}\`) or choose another port with PUSH_NODE_PORT`,
        cause: err,
      });
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      throw pushError('PUSH_ERR_CONFIG_INVALID', `cannot listen on ${host}:${port} (${code})`, {
        field: code === 'EACCES' ? 'port' : 'host',
        hint: 'use a local address such as 127.0.0.1 or 0.0.0.0, and a port above 1024',
        cause: err,
      });
    }
    throw err;
  }
}
