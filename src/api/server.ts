import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
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
  });

  app.register(cors, {
    origin: config.api.corsOrigins.includes('*') ? true : config.api.corsOrigins,
    // The SDK sends X-JS-SDK-VERSION on every call; browsers preflight it.
    allowedHeaders: ['Content-Type', 'X-JS-SDK-VERSION', 'Authorization'],
    exposedHeaders: ['Retry-After', 'x-deprecation-notice'],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  });

  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler(notFoundHandler);

  let closing = false;
  app.addHook('onRequest', async () => {
    if (closing) throw pushError('PUSH_ERR_SHUTTING_DOWN');
  });
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
