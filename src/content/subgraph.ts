/**
 * Reads Push notifications a channel publishes through its own subgraph (identity `3+graph:<subgraphId>+<n>`,
 * reference §4.3, §7.8). GraphQL over HTTP: `POST <baseUrl><subgraphId>` with `{query}`.
 *
 * The entity is `epnsPushNotifications` in the original schema and `pushNotifications` in later ones; which one a
 * subgraph has is learnt on the first query and remembered.
 */
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { isPushError, type PushError, pushError } from '../errors.js';
import { isValidSubgraphId } from '../protocol/subgraph.js';
import { isPlainObject, own, parseCanonicalUint, quote } from '../protocol/text.js';
import { boundedRequest } from './http.js';
import { sharedCounter } from './metrics.js';

export interface SubgraphClientOptions {
  /** Prefix the subgraph id is appended to, e.g. `https://api.thegraph.com/subgraphs/name/`; `/` is added if missing. */
  baseUrl: string;
  timeoutMs: number;
  /** Response size cap; default 1 MiB. */
  maxBytes?: number;
  logger?: Logger;
  registry?: Registry;
}

export interface SubgraphQueryOptions {
  signal?: AbortSignal;
}

/** One `epnsPushNotifications` entity. `notification` is the JSON string `payloadFromSubgraph` maps. */
export interface SubgraphNotification {
  id: string;
  notificationNumber: number;
  recipient: string;
  notification: string;
}

export interface SubgraphClient {
  /**
   * The entity with `notificationNumber = counter`, or null if the subgraph has none (yet: indexers lag). Throws
   * `PUSH_ERR_SUBGRAPH_UNAVAILABLE` (network, HTTP, GraphQL errors; `details.kind` says which),
   * `PUSH_ERR_INVALID_PAYLOAD` (an entity of the wrong shape), `PUSH_ERR_VALIDATION` (bad arguments).
   */
  fetchNotification(
    subgraphId: string,
    counter: number,
    options?: SubgraphQueryOptions,
  ): Promise<SubgraphNotification | null>;
  /** Entities with `notificationNumber > after`, ascending, at most `limit` (the poller's query, §7.8). */
  fetchNotificationsAfter(
    subgraphId: string,
    after: number,
    limit: number,
    options?: SubgraphQueryOptions,
  ): Promise<SubgraphNotification[]>;
  /** The highest `notificationNumber` (the poller's starting counter), or null for an empty subgraph. */
  latestNotificationNumber(subgraphId: string, options?: SubgraphQueryOptions): Promise<number | null>;
}

const ENTITIES = ['epnsPushNotifications', 'pushNotifications'] as const;
type Entity = (typeof ENTITIES)[number];
const FIELDS = 'id notificationNumber recipient notification';
const MAX_LIMIT = 1000;
// Subgraph ids come from on-chain AddSubGraph events: bound what a spammer can make this map hold.
const MAX_REMEMBERED = 10_000;

type QueryResult = 'ok' | 'empty' | 'unavailable' | 'invalid';

export function createSubgraphClient(options: SubgraphClientOptions): SubgraphClient {
  const logger = options.logger ?? pino({ level: 'silent' });
  const registry = options.registry ?? new Registry();
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const host = new URL(baseUrl).host;
  const timeoutMs = positiveInt(options.timeoutMs, 'subgraph.timeoutMs');
  const maxBytes = positiveInt(options.maxBytes ?? 1_048_576, 'subgraph.maxBytes');
  const queries = sharedCounter(
    registry,
    'push_node_subgraph_queries_total',
    'Subgraph notification queries by result',
    ['result'] as const,
  );
  const entityOf = new Map<string, Entity>();

  /** Runs `build(entity)` against the subgraph, falling back to the other entity name on a GraphQL error. */
  async function query(
    subgraphId: string,
    build: (entity: Entity) => string,
    signal: AbortSignal | undefined,
  ): Promise<SubgraphNotification[]> {
    const known = entityOf.get(subgraphId);
    const order = known ? [known, ...ENTITIES.filter((e) => e !== known)] : [...ENTITIES];
    const errors: { entity: Entity; messages: string[] }[] = [];
    for (const entity of order) {
      const answer = await post(subgraphId, build(entity), signal);
      if (answer.kind === 'graphql') {
        errors.push({ entity, messages: answer.messages });
        continue;
      }
      if (entityOf.size >= MAX_REMEMBERED) entityOf.clear();
      entityOf.set(subgraphId, entity);
      return parseEntities(answer.data, entity, subgraphId);
    }
    throw pushError(
      'PUSH_ERR_SUBGRAPH_UNAVAILABLE',
      `Subgraph ${subgraphId} answered with errors: ${errors.map((e) => `${e.entity}: ${e.messages.join('; ')}`).join(' | ')}`,
      {
        details: { subgraphId, kind: 'graphql', errors },
        hint: 'check that the subgraph exists and has an epnsPushNotifications or pushNotifications entity',
      },
    );
  }

  async function post(
    subgraphId: string,
    text: string,
    signal: AbortSignal | undefined,
  ): Promise<{ kind: 'data'; data: unknown } | { kind: 'graphql'; messages: string[] }> {
    const outcome = await boundedRequest(
      `${baseUrl}${subgraphId}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: text }),
      },
      { timeoutMs, maxBytes, signal },
    );
    const unavailable = (message: string, details: Record<string, unknown>) =>
      pushError('PUSH_ERR_SUBGRAPH_UNAVAILABLE', `Subgraph ${subgraphId} at ${host}: ${message}`, {
        details: { subgraphId, ...details },
        hint: 'retry later',
      });
    switch (outcome.kind) {
      case 'aborted':
        if (isPushError(outcome.reason)) throw outcome.reason;
        throw unavailable('the query was aborted', { kind: 'aborted' });
      case 'timeout':
        throw unavailable(`no answer within ${timeoutMs} ms`, { kind: 'timeout' });
      case 'network':
        throw unavailable(outcome.message, { kind: 'network' });
      case 'too_large':
        throw unavailable(`the answer is larger than ${maxBytes} bytes`, {
          kind: 'too_large',
          status: outcome.status,
        });
      case 'response':
        break;
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(outcome.bytes));
    } catch {
      throw unavailable(`HTTP ${outcome.status} without a JSON body`, {
        kind: 'http',
        status: outcome.status,
      });
    }
    // GraphQL servers answer query errors with 200 or 400 and an `errors` array; anything else is the transport.
    const errors = isPlainObject(body) ? own(body, 'errors') : undefined;
    const data = isPlainObject(body) ? own(body, 'data') : undefined;
    if (Array.isArray(errors) && errors.length > 0 && (data === undefined || data === null)) {
      return { kind: 'graphql', messages: errors.slice(0, 5).map(errorMessage) };
    }
    if (outcome.status < 200 || outcome.status > 299) {
      throw unavailable(`HTTP ${outcome.status}`, { kind: 'http', status: outcome.status });
    }
    if (!isPlainObject(data)) {
      throw unavailable('the answer has no data object', { kind: 'http', status: outcome.status });
    }
    return { kind: 'data', data };
  }

  async function counted<T>(run: () => Promise<T>, empty: (value: T) => boolean): Promise<T> {
    try {
      const value = await run();
      queries.inc({ result: empty(value) ? 'empty' : 'ok' });
      return value;
    } catch (err) {
      const result: QueryResult = isPushError(err, 'PUSH_ERR_SUBGRAPH_UNAVAILABLE')
        ? 'unavailable'
        : 'invalid';
      queries.inc({ result });
      logger.debug({ err, host }, 'subgraph query failed');
      throw err;
    }
  }

  return {
    async fetchNotification(subgraphId, counter, queryOptions = {}) {
      checkSubgraphId(subgraphId);
      checkCount(counter, 'counter', 0);
      return counted(
        async () => {
          const items = await query(
            subgraphId,
            (entity) => `{ ${entity}(where: {notificationNumber: ${counter}}) { ${FIELDS} } }`,
            queryOptions.signal,
          );
          return items.find((item) => item.notificationNumber === counter) ?? null;
        },
        (v) => v === null,
      );
    },
    async fetchNotificationsAfter(subgraphId, after, limit, queryOptions = {}) {
      checkSubgraphId(subgraphId);
      checkCount(after, 'after', 0);
      checkCount(limit, 'limit', 1, MAX_LIMIT);
      return counted(
        async () => {
          const items = await query(
            subgraphId,
            (entity) =>
              `{ ${entity}(first: ${limit}, orderBy: notificationNumber, orderDirection: asc, ` +
              `where: {notificationNumber_gt: ${after}}) { ${FIELDS} } }`,
            queryOptions.signal,
          );
          // Re-check what the server was asked: a subgraph is not trusted to filter or order.
          return items
            .filter((item) => item.notificationNumber > after)
            .sort((a, b) => a.notificationNumber - b.notificationNumber)
            .slice(0, limit);
        },
        (v) => v.length === 0,
      );
    },
    async latestNotificationNumber(subgraphId, queryOptions = {}) {
      checkSubgraphId(subgraphId);
      return counted(
        async () => {
          const items = await query(
            subgraphId,
            (entity) =>
              `{ ${entity}(first: 1, orderBy: notificationNumber, orderDirection: desc) { ${FIELDS} } }`,
            queryOptions.signal,
          );
          return items.reduce<number | null>(
            (max, item) => (max === null || item.notificationNumber > max ? item.notificationNumber : max),
            null,
          );
        },
        (v) => v === null,
      );
    },
  };
}

function parseEntities(data: unknown, entity: Entity, subgraphId: string): SubgraphNotification[] {
  const field = `subgraph.${entity}`;
  const list = isPlainObject(data) ? own(data, entity) : undefined;
  if (!Array.isArray(list)) {
    throw invalidEntity(`subgraph ${subgraphId} returned no ${entity} list`, field);
  }
  return list.map((item, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(item)) throw invalidEntity(`${entity}[${i}] is not an object`, at);
    const str = (key: string): string => {
      const v = own(item, key);
      if (typeof v !== 'string')
        throw invalidEntity(`${entity}[${i}].${key} must be a string, got ${quote(v)}`, `${at}.${key}`);
      return v;
    };
    // The Graph serialises BigInt as a decimal string; plain Int fields arrive as numbers.
    const rawNumber = own(item, 'notificationNumber');
    const notificationNumber =
      typeof rawNumber === 'string'
        ? parseCanonicalUint(rawNumber)
        : typeof rawNumber === 'number' && Number.isSafeInteger(rawNumber) && rawNumber >= 0
          ? rawNumber
          : null;
    if (notificationNumber === null) {
      throw invalidEntity(
        `${entity}[${i}].notificationNumber must be a non-negative integer, got ${quote(rawNumber)}`,
        `${at}.notificationNumber`,
      );
    }
    return {
      id: str('id'),
      notificationNumber,
      recipient: str('recipient'),
      notification: str('notification'),
    };
  });
}

function invalidEntity(message: string, field: string): PushError {
  return pushError('PUSH_ERR_INVALID_PAYLOAD', message, { field });
}

function errorMessage(error: unknown): string {
  const message = isPlainObject(error) ? own(error, 'message') : error;
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function checkSubgraphId(subgraphId: string): void {
  if (typeof subgraphId !== 'string' || !isValidSubgraphId(subgraphId)) {
    throw pushError(
      'PUSH_ERR_VALIDATION',
      `Invalid subgraph id ${quote(subgraphId)} (expected e.g. owner/name)`,
      {
        field: 'subgraphId',
      },
    );
  }
}

function checkCount(value: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw pushError(
      'PUSH_ERR_VALIDATION',
      `${field} must be an integer in [${min}, ${max}], got ${String(value)}`,
      {
        field,
      },
    );
  }
}

function normalizeBaseUrl(input: string): string {
  let url: URL | undefined;
  try {
    url = new URL(input);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw pushError(
      'PUSH_ERR_CONFIG_INVALID',
      `Subgraph base URL ${quote(input)} must be an http(s) prefix without query, the subgraph id is appended to it`,
      { field: 'subgraph.baseUrl', hint: 'e.g. https://api.thegraph.com/subgraphs/name/' },
    );
  }
  return input.endsWith('/') ? input : `${input}/`;
}

function positiveInt(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `${field} must be a positive integer, got ${String(value)}`, {
      field,
    });
  }
  return value;
}
