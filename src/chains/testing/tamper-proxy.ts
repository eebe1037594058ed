import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * For tests: an HTTP JSON-RPC proxy in front of a node whose answers a test may rewrite, call by call (batches
 * included), to act like a broken provider: `{"result": null}`, logs of blocks that were not asked for, and so on.
 * `tamper` gets each call and the upstream's result; returning undefined keeps the result.
 */
export interface TamperProxy {
  url: string;
  /** Calls per method that reached the proxy (a batch counts each of its calls). */
  calls: Record<string, number>;
  close(): Promise<void>;
}

type Call = { id?: unknown; method?: string; params?: unknown[] };
type Reply = { jsonrpc: string; id: unknown; result?: unknown; error?: unknown };

export async function startTamperProxy(
  target: string,
  tamper: (call: Call, result: unknown) => Promise<unknown> | unknown,
): Promise<TamperProxy> {
  const calls: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = Buffer.concat(chunks).toString('utf8');
        const parsed = JSON.parse(body) as Call | Call[];
        const list = Array.isArray(parsed) ? parsed : [parsed];
        for (const c of list) calls[c.method ?? '?'] = (calls[c.method ?? '?'] ?? 0) + 1;
        const upstream = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const answer = (await upstream.json()) as Reply | Reply[];
        const replies = Array.isArray(answer) ? answer : [answer];
        for (const r of replies) {
          const call = list.find((c) => c.id === r.id);
          if (!call || r.error) continue;
          const changed = await tamper(call, r.result);
          if (changed !== undefined) r.result = changed === NULL ? null : changed;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(Array.isArray(answer) ? replies : replies[0]));
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Returned by `tamper` to answer `"result": null`. */
export const NULL = Symbol('null result');
