import type { FastifyInstance } from 'fastify';
import { registerUiRoutes } from '../../ui/routes.js';
import { createOpenApiCollector, registerDocsRoutes } from '../openapi.js';
import type { ReadRouteDeps } from './deps.js';
import { registerFeedRoutes } from './feeds.js';
import { registerReadRoutes } from './read.js';
import { registerWriteRoutes, type WriteRouteDeps } from './write.js';

export type { ReadRouteDeps } from './deps.js';
export { registerFeedRoutes } from './feeds.js';
export { registerReadRoutes } from './read.js';
export { registerWriteRoutes, type WriteRouteDeps } from './write.js';

export type PushRoutesDeps = ReadRouteDeps & Partial<WriteRouteDeps>;

/**
 * Every Push notification route, plus the OpenAPI document and docs page at `/apis/docs` and the dashboard at `/`.
 * Without `admission` the node serves reads only (the signed doors are not mounted).
 */
export function registerPushRoutes(app: FastifyInstance, deps: PushRoutesDeps): void {
  const collector = createOpenApiCollector(app);
  registerReadRoutes(app, deps);
  registerFeedRoutes(app, deps);
  if (deps.admission) {
    registerWriteRoutes(app, {
      admission: deps.admission,
      ...(deps.onSubscription ? { onSubscription: deps.onSubscription } : {}),
    });
  }
  registerDocsRoutes(app, { collector, publicUrl: deps.config.publicUrl });
  registerUiRoutes(app);
}
