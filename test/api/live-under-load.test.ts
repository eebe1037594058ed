/**
 * Live sockets under load: one whose client stops reading (a stalled phone) is dropped once its queue is full instead
 * of being buffered without bound (it loses nothing: a reconnect with `lastId` resumes); delivery sockets get
 * `liveFeeds` in admission order even when a broadcast's audience takes a store read.
 */
import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { io as connect } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { type AdmittedNotification, createBus } from '../../src/ingest/bus.js';
import { createRealtime } from '../../src/realtime/index.js';
import { openStore } from '../../src/store/index.js';
import { until } from './fixtures.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
});

const USER = `0x${'ab'.repeat(20)}`;

function targeted(id: number, type: 1 | 3 = 3): AdmittedNotification {
  return {
    notification: {
      id,
      channel: `0x${'cd'.repeat(20)}`,
      sender: `eip155:11155111:0x${'cd'.repeat(20)}`,
      type,
      ts: Date.now(),
      source: 'test',
      verificationProof: `p-${id}`,
      delegate: null,
    },
    recipients: { inbox: type === 1 ? 'subscribers' : [USER], spam: [] },
    audience: { channelSettingsRaw: null, channelSettingsDescription: null, index: null },
    feedItem: {
      payload_id: id,
      sender: `0x${'cd'.repeat(20)}`,
      epoch: new Date().toISOString(),
      payload: { data: { asub: 'slow', amsg: 'x'.repeat(4000) } },
    } as never,
    spamFeedItem: null,
  } as AdmittedNotification;
}

/** A raw socket.io (EIO 4) WebSocket client that joins the default namespace, then never reads again. */
async function stalledClient(port: number, address: string): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  cleanups.push(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(
    `GET /socket.io/?EIO=4&transport=websocket&address=${address} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Version: 13\r\n\r\n',
  );
  let seen = '';
  await new Promise<void>((r) => {
    const on = (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes('101') && seen.includes('0{')) {
        sock.off('data', on);
        r();
      }
    };
    sock.on('data', on);
  });
  // A masked text frame "40": connect to the default namespace.
  const payload = Buffer.from('40');
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  sock.pause();
  return sock;
}

describe('a live socket that stops reading', () => {
  it('is dropped once its queue is full, not buffered without bound', async () => {
    const server = createServer();
    const bus = createBus();
    const store = await openStore({ sqlitePath: ':memory:' });
    const realtime = createRealtime({ server, bus, store, maxQueuedPerSocket: 200 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      await realtime.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await store.close();
    });
    await stalledClient((server.address() as AddressInfo).port, USER);
    await until(() => realtime.socketCount() === 1);
    for (let id = 1; id <= 5000 && realtime.socketCount() > 0; id++) {
      bus.publish(targeted(id));
      if (id % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => realtime.socketCount() === 0);
  }, 30_000);
});

describe('delivery sockets', () => {
  it('get liveFeeds in admission order: a targeted item admitted after a broadcast comes after it', async () => {
    const server = createServer();
    const bus = createBus();
    const store = await openStore({ sqlitePath: ':memory:' });
    // The broadcast's audience (read from the store when it is published): one subscriber of its channel.
    await store.db
      .insertInto('subscriptions')
      .values({
        channel: `0x${'cd'.repeat(20)}`,
        subscriber: USER,
        subscribed: 1,
        settings_raw: null,
        ts: 1,
        ts_order: 'o',
        proof: 'p',
        origin: null,
        chain_id: 11155111,
      })
      .execute();
    const realtime = createRealtime({ server, bus, store });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const d = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      transports: ['websocket'],
      query: { mode: 'delivery' },
      reconnection: false,
      forceNew: true,
    });
    cleanups.push(async () => {
      d.close();
      await realtime.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await store.close();
    });
    const got: number[] = [];
    d.on('liveFeeds', (f: { sid: number }) => got.push(f.sid));
    await new Promise<void>((r) => d.once('connect', () => r()));
    await until(() => realtime.socketCount() === 1);
    bus.publish(targeted(101, 1));
    bus.publish(targeted(102));
    bus.publish(targeted(103, 1));
    bus.publish(targeted(104));
    await until(() => got.length === 4);
    expect(got).toEqual([101, 102, 103, 104]);
  });
});
