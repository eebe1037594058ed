import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import pino, { type Logger } from 'pino';
import { pushError } from '../errors.js';

/** Anything that can store bytes and name them by CID: the devnet seeder and createDevnetChannel need only this. */
export interface IpfsAdder {
  add(bytes: Uint8Array | string): Promise<string>;
}

export interface IpfsStore extends IpfsAdder {
  /** The stored bytes, or undefined if this store does not hold the CID (any CID string form is accepted). */
  get(cid: string): Promise<Uint8Array | undefined>;
  dir: string;
}

export interface IpfsGateway extends IpfsStore {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/ipfs/`: what the node is configured with as its IPFS gateway. */
  gatewayUrl: string;
  close(): Promise<void>;
}

/** CIDv1, raw codec, sha256 of the bytes (`bafkrei…`, 59 characters): how the devnet names every file. */
export async function cidOf(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return CID.create(1, raw.code, await sha256.digest(data)).toString();
}

/** The canonical (CIDv1, base32) form of a CID string, or undefined if it is not a CID. */
function canonicalCid(text: string): string | undefined {
  try {
    return CID.parse(text).toV1().toString();
  } catch {
    return undefined;
  }
}

/**
 * A directory of content-addressed files. Several processes may share the directory (e.g. a running devnet and
 * `push-node devnet channel create`): files are written atomically and read on every request.
 */
export function createIpfsStore(options: { dir: string }): IpfsStore {
  const { dir } = options;
  let ready: Promise<unknown> | undefined;
  return {
    dir,
    async add(bytes) {
      const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
      const cid = await cidOf(data);
      ready ??= mkdir(dir, { recursive: true });
      await ready;
      const file = join(dir, cid);
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, data);
      await rename(tmp, file);
      return cid;
    },
    async get(cid) {
      const canonical = canonicalCid(cid);
      if (!canonical) return undefined;
      try {
        return new Uint8Array(await readFile(join(dir, canonical)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
  };
}

/**
 * A local stand-in for an IPFS HTTP gateway (path gateway: `GET|HEAD /ipfs/<cid>`), backed by `createIpfsStore`.
 * 200 with the bytes, 404 for an unknown CID, 400 for something that is not a CID. Listens on 127.0.0.1.
 */
export async function createIpfsGateway(options: {
  dir: string;
  port?: number;
  logger?: Logger;
}): Promise<IpfsGateway> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const store = createIpfsStore({ dir: options.dir });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const match = /^\/ipfs\/([^/]+)\/?$/.exec(url.pathname);
    if (!match) return send(res, 404, 'not found: use /ipfs/<cid>\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    const requested = decodeURIComponent(match[1]!);
    if (!canonicalCid(requested)) return send(res, 400, `invalid CID: ${requested}\n`);
    const bytes = await store.get(requested);
    if (!bytes) return send(res, 404, `not found: ${requested}\n`);
    res.statusCode = 200;
    res.setHeader('content-type', sniffContentType(bytes));
    res.setHeader('content-length', String(bytes.byteLength));
    // Content addressing makes every response immutable.
    res.setHeader('cache-control', 'public, max-age=29030400, immutable');
    res.setHeader('etag', `"${requested}"`);
    res.setHeader('x-ipfs-path', `/ipfs/${requested}`);
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'ipfs gateway request failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        pushError(
          err.code === 'EADDRINUSE' ? 'PUSH_ERR_PORT_IN_USE' : 'PUSH_ERR_DEVNET_START',
          `The IPFS gateway cannot listen on 127.0.0.1:${options.port ?? 0}: ${err.message}`,
          { field: 'port', cause: err },
        ),
      );
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url, dir: options.dir }, 'ipfs gateway listening');

  let closing: Promise<void> | undefined;
  return {
    ...store,
    port,
    url,
    gatewayUrl: `${url}/ipfs/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(text);
}

// Real gateways sniff the content type; JSON is what the node fetches, so say so when it parses.
function sniffContentType(bytes: Uint8Array): string {
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b || first === 0x5b) {
    try {
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      return 'application/json';
    } catch {
      // Not JSON after all.
    }
  }
  return 'application/octet-stream';
}
