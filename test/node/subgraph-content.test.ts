import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushNode } from '../../src/node.js';
import { listChannelNotifications } from '../../src/store/repos/feeds.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../admission/support.js';
import { testTempDirs } from '../support/temp-dir.js';
import { startTestNode } from './support.js';

/**
 * `subgraph.url` (or PUSH_NODE_SUBGRAPH_URL) gives the node a subgraph client: a payload whose identity is
 * `3+graph:<id>+<n>` is resolved from `<url><id>` (a local GraphQL stand-in here) and filed.
 */
const tempDirs = testTempDirs('push-node-subgraph-');
const CH = 1;
const SUBGRAPH = 'org/channel-graph';
let graph: Server;
let asked: string[];
let node: PushNode;

beforeAll(async () => {
  asked = [];
  graph = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      asked.push(req.url ?? '');
      const { query } = JSON.parse(raw) as { query: string };
      const entity =
        /(epnsPushNotifications|pushNotifications)\s*\(/.exec(query)?.[1] ?? 'epnsPushNotifications';
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          data: {
            [entity]: [
              {
                id: '0x1',
                notificationNumber: '4',
                recipient: addr(CH),
                notification: JSON.stringify({ title: 'from', body: 'the graph', subject: 'graph', type: 1 }),
              },
            ],
          },
        }),
      );
    });
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', r));
  const port = (graph.address() as AddressInfo).port;
  node = await startTestNode(tempDirs.make(), {
    PUSH_NODE_SUBGRAPH_URL: `http://127.0.0.1:${port}/subgraphs/name/`,
  });
  await seedChannel(node.store.db, CH, { subgraph: `60+${SUBGRAPH}` });
});

afterAll(async () => {
  await node?.stop();
  await new Promise<void>((r) => graph?.close(() => r()));
  tempDirs.removeAll();
});

describe('a node configured with a subgraph URL', () => {
  it('admits a type-3 identity with the content its channel published on its subgraph', async () => {
    const body = await sdkSend(CH, CORE_CHAIN_ID, getAddress(addr(CH)), {
      identity: `3+graph:${SUBGRAPH}+4`,
    });
    const res = await fetch(`${node.url}/apis/v1/payloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect({ status: res.status, body: res.status === 204 ? null : await res.text() }).toEqual({
      status: 204,
      body: null,
    });
    expect(asked[0]).toBe(`/subgraphs/name/${SUBGRAPH}`);
    const sent = await listChannelNotifications(node.store.db, { channel: addr(CH), limit: 10 });
    expect(sent.notifications.map((n) => n.message.notification.body)).toEqual(['the graph']);
  });
});
