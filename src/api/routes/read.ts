import type { FastifyInstance } from 'fastify';
import { registerAliasRoutes } from './alias.js';
import { registerChannelRoutes } from './channels.js';
import type { ReadRouteDeps } from './deps.js';
import { registerIconRoutes } from './icon.js';
import { registerTagRoutes } from './tags.js';
import { registerUserRoutes } from './users.js';

export type { ReadRouteDeps } from './deps.js';

/** Every Push read route that needs only the store (channels, subscribers, delegates, aliases, tags, users). */
export function registerReadRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  registerChannelRoutes(app, deps);
  registerTagRoutes(app, deps);
  registerIconRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerAliasRoutes(app, deps);
}
