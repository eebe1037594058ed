import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  store: { backend: string; location: string };
  chains: unknown[];
  disabledChains: unknown[];
}

/** `/status` (as the original node: 200, empty body), `/apis/v1/health` (JSON) and `/metrics` (Prometheus). */
export function registerSystemRoutes(
  app: FastifyInstance,
  deps: { health: () => HealthReport; registry: Registry },
) {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/status',
    handler: async (_req, reply) => reply.status(200).send(''),
  });
  app.get('/apis/v1/health', async () => deps.health());
  app.get('/metrics', async (_req, reply) => {
    reply.header('Content-Type', deps.registry.contentType);
    return deps.registry.metrics();
  });
}
