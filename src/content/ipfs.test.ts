import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CID } from 'multiformats/cid';
import { identity } from 'multiformats/hashes/identity';
import { sha256 } from 'multiformats/hashes/sha2';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpfsGateway, type IpfsGateway } from '../devnet/ipfs-gateway.js';
import { isPushError, type PushError } from '../errors.js';
import { rawCidOf, unixfsFileCidOf } from './cid.js';
import { createIpfsClient, type GatewayAttempt } from './ipfs.js';

const enc = (s: string) => new TextEncoder().encode(s);

interface TestServer {
  /** `http://127.0.0.1:<port>/ipfs/` */
  gatewayUrl: string;
  /** Requests received, by path. */
  hits: string[];
  /** Connections that the client closed before the response ended. */
  closedEarly: number;
  close(): Promise<void>;
}

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, server: TestServer) => void,
): Promise<TestServer> {
  const state: TestServer = {
    gatewayUrl: '',
    hits: [],
    closedEarly: 0,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    state.hits.push(req.url ?? '');
    res.on('close', () => {
      if (!res.writableFinished) state.closedEarly++;
    });
    handler(req, res, state);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.gatewayUrl = `http://127.0.0.1:${port}/ipfs/`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** A gateway that serves the given contents by CID (any codec), 404 otherwise. */
function serving(contents: Map<string, Uint8Array>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const cid = (req.url ?? '').replace(/^\/ipfs\//, '');
    const bytes = contents.get(cid);
    if (!bytes) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('content-length', String(bytes.byteLength));
    res.end(bytes);
  };
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
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

function attemptsOf(err: PushError): GatewayAttempt[] {
  return (err.details?.attempts ?? []) as GatewayAttempt[];
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const dir = mkdtempSync(join(tmpdir(), 'push-content-ipfs-'));
let devnet: IpfsGateway;
const servers: TestServer[] = [];
let hello: { bytes: Uint8Array; v0: string; raw: string };
// Gateways whose behaviour does not depend on the CID.
let liar: TestServer;
let hanging: TestServer;
let failing: TestServer;
let endless: TestServer;
let declaredHuge: TestServer;
let refusedUrl: string;

beforeAll(async () => {
  devnet = await createIpfsGateway({ dir });
  const bytes = enc('hello world\n');
  hello = { bytes, v0: unixfsFileCidOf(bytes), raw: rawCidOf(bytes) };
  liar = await startServer((_req, res) => res.end('definitely not what you asked for'));
  hanging = await startServer(() => {
    // Never answers: only the client's timeout ends this.
  });
  failing = await startServer((_req, res) => {
    res.statusCode = 500;
    res.end('internal error');
  });
  endless = await startServer((_req, res) => {
    // Chunked, no content-length, never ends: only the size cap stops the client.
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {
        // keep the socket buffer full
      }
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  declaredHuge = await startServer((_req, res) => {
    res.setHeader('content-length', String(50 * 1024 * 1024));
    res.write(Buffer.alloc(1024));
  });
  const closed = await startServer(() => {});
  refusedUrl = closed.gatewayUrl;
  await closed.close();
  servers.push(liar, hanging, failing, endless, declaredHuge);
});

afterAll(async () => {
  await Promise.all([devnet?.close(), ...servers.map((s) => s.close())]);
  rmSync(dir, { recursive: true, force: true });
});

describe('createIpfsClient: verified fetches', () => {
  it('fetches CIDv1 raw content from the devnet gateway and counts it', async () => {
    const registry = new Registry();
    const json = JSON.stringify({ notification: { title: 't', body: 'b' } });
    const cid = await devnet.add(json);
    const client = createIpfsClient({
      gateways: [devnet.gatewayUrl],
      timeoutMs: 2000,
      maxBytes: 1024,
      registry,
    });
    expect(new TextDecoder().decode(await client.fetch(cid))).toBe(json);
    expect(await client.fetchJson(cid)).toEqual({ notification: { title: 't', body: 'b' } });
    expect(await metricValue(registry, 'push_node_ipfs_fetch_total', { result: 'ok' })).toBe(2);
    const text = await registry.metrics();
    expect(text).toContain('push_node_ipfs_gateway_requests_total{gateway="127.0.0.1:');
  });

  it('fetches CIDv0 (single-block UnixFS) content and accepts a gateway prefix without trailing slash', async () => {
    const good = await startServer(serving(new Map([[hello.v0, hello.bytes]])));
    servers.push(good);
    const client = createIpfsClient({
      gateways: [good.gatewayUrl.slice(0, -1)],
      timeoutMs: 2000,
      maxBytes: 1024,
    });
    expect(await client.fetch(hello.v0)).toEqual(hello.bytes);
    expect(good.hits).toEqual([`/ipfs/${hello.v0}`]);
  });

  it('skips a gateway that serves wrong bytes, logs it, and takes the next one', async () => {
    const registry = new Registry();
    const { logger, lines } = captureLogs();
    const cid = await devnet.add('the real content');
    const client = createIpfsClient({
      gateways: [liar.gatewayUrl, devnet.gatewayUrl],
      timeoutMs: 2000,
      maxBytes: 1024,
      logger,
      registry,
    });
    expect(new TextDecoder().decode(await client.fetch(cid))).toBe('the real content');
    const warning = lines.find((l) => l.msg === 'ipfs gateway served wrong bytes');
    expect(warning).toMatchObject({ cid, level: 40 });
    const liarHost = new URL(liar.gatewayUrl).host;
    expect(
      await metricValue(registry, 'push_node_ipfs_gateway_requests_total', {
        gateway: liarHost,
        result: 'mismatch',
      }),
    ).toBe(1);
  });

  it('moves on from a hanging gateway after the timeout', async () => {
    const cid = await devnet.add('after the hang');
    const client = createIpfsClient({
      gateways: [hanging.gatewayUrl, devnet.gatewayUrl],
      timeoutMs: 1000,
      maxBytes: 1024,
    });
    const started = Date.now();
    expect(new TextDecoder().decode(await client.fetch(cid))).toBe('after the hang');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe('createIpfsClient: failures', () => {
  it('is PUSH_ERR_IPFS_UNAVAILABLE when no gateway has it (404, 500, refused, timeout), with every attempt', async () => {
    const registry = new Registry();
    const cid = rawCidOf(enc('nobody has this'));
    const client = createIpfsClient({
      gateways: [devnet.gatewayUrl, failing.gatewayUrl, refusedUrl, hanging.gatewayUrl],
      // Generous: the machine is shared, and only the hanging gateway should ever reach the timeout.
      timeoutMs: 1000,
      maxBytes: 1024,
      registry,
    });
    const err = await rejection(client.fetch(cid));
    expect(err.code).toBe('PUSH_ERR_IPFS_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(attemptsOf(err).map((a) => a.outcome)).toEqual(['not_found', 'http_error', 'network', 'timeout']);
    expect(attemptsOf(err)[1]).toMatchObject({ status: 500 });
    expect(attemptsOf(err)[2]?.detail).toContain('ECONNREFUSED');
    expect(err.message).toContain(cid);
    expect(await metricValue(registry, 'push_node_ipfs_fetch_total', { result: 'unavailable' })).toBe(1);
  });

  it('is PUSH_ERR_CID_MISMATCH when every gateway that answered served other bytes', async () => {
    const registry = new Registry();
    const liar2 = await startServer((_req, res) => res.end('{"also":"wrong"}'));
    servers.push(liar2);
    const client = createIpfsClient({
      gateways: [liar.gatewayUrl, failing.gatewayUrl, liar2.gatewayUrl],
      timeoutMs: 2000,
      maxBytes: 1024,
      registry,
    });
    const err = await rejection(client.fetch(hello.v0));
    expect(err.code).toBe('PUSH_ERR_CID_MISMATCH');
    expect(attemptsOf(err).map((a) => a.outcome)).toEqual(['mismatch', 'http_error', 'mismatch']);
    expect(await metricValue(registry, 'push_node_ipfs_fetch_total', { result: 'cid_mismatch' })).toBe(1);
  });

  it('cuts an endless body at maxBytes and tries the next gateway', async () => {
    const cid = await devnet.add('small and true');
    const before = endless.closedEarly;
    const client = createIpfsClient({
      gateways: [endless.gatewayUrl, devnet.gatewayUrl],
      timeoutMs: 5000,
      maxBytes: 100_000,
    });
    expect(new TextDecoder().decode(await client.fetch(cid))).toBe('small and true');
    await expect.poll(() => endless.closedEarly).toBe(before + 1);
  });

  it('is PUSH_ERR_CONTENT_TOO_LARGE when every answer is over the limit (declared or streamed)', async () => {
    const registry = new Registry();
    const client = createIpfsClient({
      gateways: [declaredHuge.gatewayUrl, failing.gatewayUrl, endless.gatewayUrl],
      timeoutMs: 5000,
      maxBytes: 64 * 1024,
      registry,
    });
    const err = await rejection(client.fetch(hello.raw));
    expect(err.code).toBe('PUSH_ERR_CONTENT_TOO_LARGE');
    expect(attemptsOf(err).map((a) => a.outcome)).toEqual(['too_large', 'http_error', 'too_large']);
    expect(err.details?.maxBytes).toBe(64 * 1024);
    expect(await metricValue(registry, 'push_node_ipfs_fetch_total', { result: 'too_large' })).toBe(1);
  });

  it('treats an error page over the limit as an HTTP error, not as content', async () => {
    const bigError = await startServer((_req, res) => {
      res.statusCode = 502;
      res.end(Buffer.alloc(4096, 0x78));
    });
    servers.push(bigError);
    const client = createIpfsClient({ gateways: [bigError.gatewayUrl], timeoutMs: 2000, maxBytes: 100 });
    const err = await rejection(client.fetch(hello.raw));
    expect(err.code).toBe('PUSH_ERR_IPFS_UNAVAILABLE');
    expect(attemptsOf(err)).toEqual([expect.objectContaining({ outcome: 'http_error', status: 502 })]);
  });

  it('refuses a CID it cannot verify before asking any gateway', async () => {
    const counting = await startServer(serving(new Map()));
    servers.push(counting);
    const client = createIpfsClient({ gateways: [counting.gatewayUrl], timeoutMs: 2000, maxBytes: 100 });
    const dagCbor = CID.createV1(0x71, await sha256.digest(enc('{}'))).toString();
    for (const cid of ['not-a-cid', dagCbor]) {
      const err = await rejection(client.fetch(cid));
      expect(err.code).toBe('PUSH_ERR_INVALID_CID');
      expect(err.field).toBe('cid');
    }
    expect(counting.hits).toEqual([]);
  });

  it('says how to fix an empty gateway list', async () => {
    const client = createIpfsClient({ gateways: [], timeoutMs: 2000, maxBytes: 100 });
    const err = await rejection(client.fetch(hello.raw));
    expect(err.code).toBe('PUSH_ERR_IPFS_UNAVAILABLE');
    expect(err.hint).toContain('ipfs.gateways');
  });

  it('answers identity-hash raw CIDs without the network', async () => {
    // bafkqa… : CIDv1 raw, identity multihash of "hi".
    const cid = CID.createV1(0x55, identity.digest(enc('hi'))).toString();
    const client = createIpfsClient({ gateways: [], timeoutMs: 2000, maxBytes: 100 });
    expect(new TextDecoder().decode(await client.fetch(cid))).toBe('hi');
  });

  it('stops at once when the caller aborts, without trying further gateways', async () => {
    const after = await startServer(serving(new Map([[hello.raw, hello.bytes]])));
    servers.push(after);
    const client = createIpfsClient({
      gateways: [hanging.gatewayUrl, after.gatewayUrl],
      timeoutMs: 10_000,
      maxBytes: 100,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await rejection(client.fetch(hello.raw, { signal: controller.signal }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('PUSH_ERR_IPFS_UNAVAILABLE');
    expect(err.message).toContain('aborted');
    expect(after.hits).toEqual([]);
  });

  it('fetchJson refuses verified content that is not JSON', async () => {
    const cid = await devnet.add('not { json');
    const client = createIpfsClient({ gateways: [devnet.gatewayUrl], timeoutMs: 2000, maxBytes: 100 });
    const err = await rejection(client.fetchJson(cid));
    expect(err.code).toBe('PUSH_ERR_INVALID_PAYLOAD');
    const latin1 = await devnet.add(Uint8Array.from([0x7b, 0xff, 0x7d]));
    expect((await rejection(client.fetchJson(latin1))).message).toContain('UTF-8');
  });
});

describe('createIpfsClient: configuration', () => {
  it('refuses unusable gateways and limits, naming the field', () => {
    const base = { timeoutMs: 1000, maxBytes: 1000 };
    const cases: [Parameters<typeof createIpfsClient>[0], string][] = [
      [{ ...base, gateways: ['not a url'] }, 'ipfs.gateways[0]'],
      [{ ...base, gateways: ['https://ipfs.io/ipfs/', 'ftp://x/ipfs/'] }, 'ipfs.gateways[1]'],
      [{ ...base, gateways: ['https://x/ipfs/?token=1'] }, 'ipfs.gateways[0]'],
      [{ ...base, gateways: [], timeoutMs: 0 }, 'ipfs.timeoutMs'],
      [{ ...base, gateways: [], maxBytes: 1.5 }, 'ipfs.maxBytes'],
    ];
    for (const [options, field] of cases) {
      try {
        createIpfsClient(options);
        expect.unreachable(`accepted ${JSON.stringify(options)}`);
      } catch (err) {
        expect(isPushError(err, 'PUSH_ERR_CONFIG_INVALID')).toBe(true);
        expect((err as PushError).field).toBe(field);
      }
    }
  });

  it('lets two clients share one registry', async () => {
    const registry = new Registry();
    const cid = await devnet.add('shared');
    for (let i = 0; i < 2; i++) {
      const client = createIpfsClient({
        gateways: [devnet.gatewayUrl],
        timeoutMs: 2000,
        maxBytes: 100,
        registry,
      });
      await client.fetch(cid);
    }
    expect(await metricValue(registry, 'push_node_ipfs_fetch_total', { result: 'ok' })).toBe(2);
  });
});
