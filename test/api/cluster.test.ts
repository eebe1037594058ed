import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel, signData } from '../admission/support.js';
import { TEST_DATABASE_URL } from '../support/store-backends.js';

const REDIS_URL = process.env.PUSH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CH = 1;
const U1 = 21;
const U2 = 22;
const userCaip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;
const chCaip = `eip155:${CORE_CHAIN_ID}:${getAddress(addr(CH))}`;

function startNode(schema: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/api/support/cluster-node.ts', TEST_DATABASE_URL, schema, REDIS_URL],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${out}`)));
  });
}

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('scale-out: two node processes, one Postgres, one Redis', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const nodes: { child: ChildProcess; url: string }[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Migrate and seed once, then start both processes on the same schema.
    const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2 });
    await seedChannel(store.db, CH, { name: 'Cluster' });
    await store.close();
    nodes.push(...(await Promise.all([startNode(schema), startNode(schema)])));
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((r) => {
            n.child.once('exit', () => r());
            n.child.kill('SIGTERM');
            setTimeout(() => {
              n.child.kill('SIGKILL');
              r();
            }, 5000).unref();
          }),
      ),
    );
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('a notification admitted by one process reaches sockets held by the other', async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const s1 = connect(b.url, {
      transports: ['websocket'],
      query: { address: userCaip(U1) },
      forceNew: true,
    });
    const s2 = connect(b.url, {
      transports: ['websocket'],
      query: { address: userCaip(U2) },
      forceNew: true,
    });
    sockets.push(s1, s2);
    const got1: { payload_id: number; payload: { data: { asub: string; type: number } } }[] = [];
    const spam2: typeof got1 = [];
    s1.on('userFeeds', (i) => got1.push(i));
    s2.on('userSpamFeeds', (i) => spam2.push(i));
    await Promise.all([s1, s2].map((s) => new Promise<void>((r) => s.once('connect', () => r()))));

    // U1 subscribes through process A: B's live index learns it through Redis.
    const message = JSON.stringify(
      {
        channel: getAddress(addr(CH)),
        subscriber: getAddress(addr(U1)),
        action: 'Subscribe',
        userSetting: '',
      },
      null,
      4,
    );
    const sub = await post(`${a.url}/apis/v1/channels/${chCaip}/subscribe`, {
      verificationProof: `eip712v2:${await signData(U1, CORE_CHAIN_ID, message)}`,
      message,
    });
    expect(sub.status).toBe(204);
    await new Promise((r) => setTimeout(r, 200));

    const broadcast = await post(
      `${a.url}/apis/v1/payloads/`,
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'fan-out' }),
    );
    expect(broadcast.status).toBe(204);
    const targeted = await post(
      `${a.url}/apis/v1/payloads/`,
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 3, recipients: [userCaip(U2)], title: 'to-u2' }),
    );
    expect(targeted.status).toBe(204);

    await until(() => got1.length === 1 && spam2.length === 1);
    expect(got1[0]!.payload.data).toMatchObject({ asub: 'fan-out', type: 1 });
    expect(spam2[0]!.payload.data).toMatchObject({ asub: 'to-u2', type: 3 });
    await new Promise((r) => setTimeout(r, 200));
    expect(got1).toHaveLength(1); // exactly once, not once per process
  }, 30_000);
});
