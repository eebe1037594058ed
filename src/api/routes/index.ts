import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.js';
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

export type PushRoutesDeps = Omit<ReadRouteDeps, 'store'> & {
  store: Pick<Store, 'read'>;
} & Partial<WriteRouteDeps>;

/**
 * Every Push notification route, plus the OpenAPI document and docs page at `/apis/docs` and the dashboard at `/`.
 * Without `admission` the node serves reads only (the signed doors are not mounted).
 */
export function registerPushRoutes(app: FastifyInstance, deps: PushRoutesDeps): void {
  const collector = createOpenApiCollector(app);
  // These routes only read (writes go through `admission`): they use the store's read connection, so a chain batch's
  // open write transaction does not hold them up (see `Store.read`).
  const reads: ReadRouteDeps = { config: deps.config, store: { db: deps.store.read } };
  registerReadRoutes(app, reads);
  registerFeedRoutes(app, reads);
  if (deps.admission) {
    registerWriteRoutes(app, {
      admission: deps.admission,
      ...(deps.onSubscription ? { onSubscription: deps.onSubscription } : {}),
    });
  }
  registerDocsRoutes(app, { collector, publicUrl: deps.config.publicUrl });
  registerUiRoutes(app);
}
