import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPushError, type PushError } from '../errors.js';
import { payloadFromSubgraph } from '../protocol/notification.js';
import { createSubgraphClient } from './subgraph.js';

/**
 * A small stand-in for a graph-node endpoint (`POST /subgraphs/name/<owner>/<name>`): it understands the queries
 * the client sends (where notificationNumber / notificationNumber_gt, first, orderDirection) over an in-memory list,
 * and answers unknown entities and subgraphs the way graph-node does (GraphQL `errors`).
 */
interface Entity {
  id: string;
  notificationNumber: string;
  recipient: string;
  notification: string;
}

interface Subgraph {
  entity: 'epnsPushNotifications' | 'pushNotifications';
  items: Entity[];
}

interface StandIn {
  baseUrl: string;
  queries: { path: string; query: string }[];
  close(): Promise<void>;
}

const RECIPIENT = '0x00000000000000000000000000000000000000a1';

function entity(n: number, title = `Title ${n}`): Entity {
  return {
    id: `0x${n.toString(16).padStart(4, '0')}`,
    notificationNumber: String(n),
    recipient: RECIPIENT,
    notification: JSON.stringify({
      type: 3,
      title,
      body: `Body ${n}`,
      subject: 'S',
      message: 'M',
      cta: '',
      image: '',
    }),
  };
}

function answer(
  subgraph: Subgraph | undefined,
  name: string,
  query: string,
): { status: number; body: unknown } {
  if (!subgraph) return { status: 200, body: { errors: [{ message: `subgraph "${name}" not found` }] } };
  const match = /^\{\s*(\w+)\(([^)]*)\)\s*\{([^}]*)\}\s*\}$/.exec(query.trim());
  if (!match) return { status: 400, body: { errors: [{ message: 'Syntax error' }] } };
  const [, entityName, args] = match as unknown as [string, string, string];
  if (entityName !== subgraph.entity) {
    return { status: 200, body: { errors: [{ message: `Type \`Query\` has no field \`${entityName}\`` }] } };
  }
  let items = [...subgraph.items];
  const eq = /notificationNumber:\s*(\d+)/.exec(args);
  const gt = /notificationNumber_gt:\s*(\d+)/.exec(args);
  if (eq) items = items.filter((i) => Number(i.notificationNumber) === Number(eq[1]));
  if (gt) items = items.filter((i) => Number(i.notificationNumber) > Number(gt[1]));
  items.sort((a, b) => Number(a.notificationNumber) - Number(b.notificationNumber));
  if (/orderDirection:\s*desc/.test(args)) items.reverse();
  const first = /first:\s*(\d+)/.exec(args);
  items = items.slice(0, first ? Number(first[1]) : 100);
  return { status: 200, body: { data: { [entityName]: items } } };
}

async function startStandIn(
  subgraphs: Record<string, Subgraph>,
  override?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<StandIn> {
  const queries: StandIn['queries'] = [];
  const server = createServer((req, res) => {
    if (override?.(req, res)) return;
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const path = req.url ?? '';
      const name = path.replace(/^\/subgraphs\/name\//, '');
      let result: { status: number; body: unknown };
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        result = { status: 405, body: { errors: [{ message: 'POST application/json only' }] } };
      } else {
        const { query } = JSON.parse(raw) as { query: string };
        queries.push({ path, query });
        result = answer(subgraphs[name], name, query);
      }
      res.statusCode = result.status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/subgraphs/name/`,
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<PushError> {
  try {
    await promise;
  } catch (err) {
    if (isPushError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

let standIn: StandIn;
const others: StandIn[] = [];

beforeAll(async () => {
  standIn = await startStandIn({
    'aiswaryawalter/graph-poc-sample': {
      entity: 'epnsPushNotifications',
      items: [1, 2, 3, 5, 8].map((n) => entity(n)),
    },
    'push/new-schema': { entity: 'pushNotifications', items: [entity(1), entity(2)] },
    'push/empty': { entity: 'epnsPushNotifications', items: [] },
    'push/broken-number': {
      entity: 'epnsPushNotifications',
      items: [{ ...entity(1), notificationNumber: 'one' }],
    },
    'push/broken-text': {
      entity: 'epnsPushNotifications',
      items: [{ ...entity(2), notification: 7 as unknown as string }],
    },
  });
});

afterAll(async () => {
  await Promise.all([standIn?.close(), ...others.map((s) => s.close())]);
});

describe('createSubgraphClient', () => {
  it('fetches one notification by number, ready for payloadFromSubgraph', async () => {
    const registry = new Registry();
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000, registry });
    const found = await client.fetchNotification('aiswaryawalter/graph-poc-sample', 3);
    expect(found).toEqual({
      id: '0x0003',
      notificationNumber: 3,
      recipient: RECIPIENT,
      notification: entity(3).notification,
    });
    const payload = payloadFromSubgraph(found!.notification, found!.recipient);
    expect(payload.notification).toEqual({ title: 'Title 3', body: 'Body 3' });
    expect(payload.recipients).toEqual([RECIPIENT]);
    const last = standIn.queries.at(-1)!;
    expect(last.path).toBe('/subgraphs/name/aiswaryawalter/graph-poc-sample');
    expect(last.query).toContain('epnsPushNotifications(where: {notificationNumber: 3})');
    expect(last.query).toContain('id notificationNumber recipient notification');
    expect(await registry.metrics()).toContain('push_node_subgraph_queries_total{result="ok"} 1');
  });

  it('returns null for a number the subgraph does not have (yet)', async () => {
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000 });
    expect(await client.fetchNotification('aiswaryawalter/graph-poc-sample', 4)).toBeNull();
  });

  it('falls back to pushNotifications, then remembers the entity per subgraph', async () => {
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000 });
    const before = standIn.queries.length;
    expect((await client.fetchNotification('push/new-schema', 2))?.id).toBe('0x0002');
    const tried = standIn.queries.slice(before).map((q) => q.query.trim().split('(')[0]);
    expect(tried).toEqual(['{ epnsPushNotifications', '{ pushNotifications']);
    await client.fetchNotification('push/new-schema', 1);
    expect(standIn.queries.length).toBe(before + 3);
  });

  it('pages notifications after a counter and finds the latest number', async () => {
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000 });
    const page = await client.fetchNotificationsAfter('aiswaryawalter/graph-poc-sample', 2, 2);
    expect(page.map((n) => n.notificationNumber)).toEqual([3, 5]);
    expect(await client.fetchNotificationsAfter('aiswaryawalter/graph-poc-sample', 8, 10)).toEqual([]);
    expect(await client.latestNotificationNumber('aiswaryawalter/graph-poc-sample')).toBe(8);
    expect(await client.latestNotificationNumber('push/empty')).toBeNull();
  });

  it('reports GraphQL errors of both entities as PUSH_ERR_SUBGRAPH_UNAVAILABLE (kind graphql)', async () => {
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000 });
    const err = await rejection(client.fetchNotification('nobody/here', 1));
    expect(err.code).toBe('PUSH_ERR_SUBGRAPH_UNAVAILABLE');
    expect(err.details).toMatchObject({ subgraphId: 'nobody/here', kind: 'graphql' });
    expect(err.message).toContain('not found');
  });

  it('refuses entities of the wrong shape, naming the field', async () => {
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000 });
    const number = await rejection(client.latestNotificationNumber('push/broken-number'));
    expect(number.code).toBe('PUSH_ERR_INVALID_PAYLOAD');
    expect(number.field).toBe('subgraph.epnsPushNotifications[0].notificationNumber');
    const text = await rejection(client.fetchNotification('push/broken-text', 2));
    expect(text.code).toBe('PUSH_ERR_INVALID_PAYLOAD');
    expect(text.field).toBe('subgraph.epnsPushNotifications[0].notification');
  });

  it('validates its arguments', async () => {
    const client = createSubgraphClient({ baseUrl: standIn.baseUrl, timeoutMs: 2000 });
    expect((await rejection(client.fetchNotification('bad id}', 1))).field).toBe('subgraphId');
    expect((await rejection(client.fetchNotification('a/b', -1))).field).toBe('counter');
    expect((await rejection(client.fetchNotification('a/b', 1.5))).field).toBe('counter');
    expect((await rejection(client.fetchNotificationsAfter('a/b', 0, 0))).field).toBe('limit');
    expect(() => createSubgraphClient({ baseUrl: 'ftp://x/', timeoutMs: 1 })).toThrowError(
      expect.objectContaining({ code: 'PUSH_ERR_CONFIG_INVALID', field: 'subgraph.baseUrl' }),
    );
  });
});

describe('createSubgraphClient: an unreliable endpoint', () => {
  it('maps 500, non-JSON, hangs, oversize answers and refused connections to PUSH_ERR_SUBGRAPH_UNAVAILABLE', async () => {
    const registry = new Registry();
    const bad = await startStandIn({}, (req, res) => {
      const route = req.url ?? '';
      if (route.endsWith('/a/500')) {
        res.statusCode = 500;
        res.end('upstream failed');
      } else if (route.endsWith('/a/html')) {
        res.statusCode = 200;
        res.end('<html>maintenance</html>');
      } else if (route.endsWith('/a/big')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { epnsPushNotifications: [], pad: 'x'.repeat(5000) } }));
      } else if (route.endsWith('/a/hang')) {
        // never answers
      } else {
        return false;
      }
      return true;
    });
    others.push(bad);
    // Generous: the machine is shared, and only the hanging endpoint should ever reach the timeout.
    const client = createSubgraphClient({ baseUrl: bad.baseUrl, timeoutMs: 1500, maxBytes: 1024, registry });
    const kinds: unknown[] = [];
    for (const id of ['a/500', 'a/html', 'a/big', 'a/hang']) {
      const err = await rejection(client.fetchNotification(id, 1));
      expect(err.code).toBe('PUSH_ERR_SUBGRAPH_UNAVAILABLE');
      kinds.push(err.details?.kind);
    }
    expect(kinds).toEqual(['http', 'http', 'too_large', 'timeout']);

    const gone = await startStandIn({});
    const goneUrl = gone.baseUrl;
    await gone.close();
    const refused = createSubgraphClient({ baseUrl: goneUrl, timeoutMs: 1000 });
    const err = await rejection(refused.fetchNotification('a/b', 1));
    expect(err.details?.kind).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
    expect(await registry.metrics()).toContain('push_node_subgraph_queries_total{result="unavailable"} 4');
  });
});
