/**
 * The server's CPU per broadcast, by how the target set is named: `io.emit` (the bare baseline), `to(<every socket
 * id>)` (what src/realtime does), `to(room)` (per-channel rooms) and `to(room).except(<1% of ids>)` (rooms with a
 * few subscribers filtered out by settings). Measured: naming 10k ids costs ~3 ms more than a room, against ~200 ms
 * of writing to the sockets, so rooms were not adopted. Times the synchronous emit call — encoding plus the write to every
 * socket, where socket.io does all its per-socket work — in this process, with N real clients in a child process;
 * variants interleave, and each emit waits until every client has the item, so none measures another's backlog.
 *   npx tsx bench/realtime/emit-cost.ts [--clients 10000] [--rounds 10] [--batch 200]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { argValue, marker, type Reply, spawnChild } from './shared.js';

const args = process.argv.slice(2);
const CLIENTS = argValue(args, 'clients', 10_000);
const ROUNDS = argValue(args, 'rounds', 10);
const BATCH = argValue(args, 'batch', 200);
const ROOM = 'ch:0xbench';

const http = createServer();
const io = new Server(http, { serveClient: false, perMessageDeflate: false });
io.on('connection', (s) => void s.join(ROOM));
await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

const child = spawnChild('./clients.ts');
const replies: Reply[] = [];
const waiters: { match: (r: Reply) => boolean; resolve: () => void }[] = [];
child.on('message', (r: Reply) => {
  const w = waiters.findIndex((x) => x.match(r));
  if (w >= 0) waiters.splice(w, 1)[0]!.resolve();
  else replies.push(r);
});
const next = (match: (r: Reply) => boolean) =>
  new Promise<void>((resolve) => {
    const i = replies.findIndex(match);
    if (i >= 0) {
      replies.splice(i, 1);
      resolve();
    } else waiters.push({ match, resolve });
  });

await next((r) => r.type === 'ready');
child.send({ cmd: 'connect', url, count: CLIENTS, batch: BATCH });
await next((r) => r.type === 'connected');
const ids = [...io.of('/').sockets.keys()];
const filtered = ids.filter((_, i) => i % 100 === 0);
// All variants reach every client (the except variant all but 1%): the clients report completion for each seq.
const item = (seq: number) => ({
  payload_id: seq,
  sender: '0x0000000000000000000000000000000000000001',
  epoch: new Date().toISOString(),
  payload: { notification: { title: marker(seq), body: 'x'.repeat(800) }, data: { type: 1 } },
});

const variants: { name: string; emit: (seq: number) => void; reach: number }[] = [
  { name: 'io.emit (bare)', emit: (seq) => io.emit('userFeeds', item(seq)), reach: ids.length },
  {
    name: 'to(<all ids>) (the node)',
    emit: (seq) => io.local.to(ids).emit('userFeeds', item(seq)),
    reach: ids.length,
  },
  {
    name: 'to(room)',
    emit: (seq) => io.local.to(ROOM).emit('userFeeds', item(seq)),
    reach: ids.length,
  },
  {
    name: 'to(room).except(1%)',
    emit: (seq) => io.local.to(ROOM).except(filtered).emit('userFeeds', item(seq)),
    reach: ids.length - filtered.length,
  },
];

const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
let seq = 1;
for (let round = 0; round <= ROUNDS; round++) {
  for (const v of variants) {
    const s = seq++;
    // The except variant leaves 1% without the item: the clients' completion would never come, so wait on time.
    const done =
      v.reach === ids.length
        ? next((r) => r.type === 'complete' && r.seq === s)
        : new Promise<void>((r) => setTimeout(r, 1500));
    const t0 = performance.now();
    v.emit(s);
    const ms = performance.now() - t0;
    if (round > 0) times.get(v.name)!.push(ms); // round 0 warms up
    await done;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const base = median(times.get(variants[0]!.name)!);
console.log(
  `\nsynchronous emit cost, ${ids.length} sockets, ${ROUNDS} rounds (median, min, ratio to io.emit)`,
);
console.table(
  variants.map((v) => {
    const xs = times.get(v.name)!;
    return {
      variant: v.name,
      'median ms': median(xs).toFixed(1),
      'min ms': Math.min(...xs).toFixed(1),
      'vs io.emit': (median(xs) / base).toFixed(2),
    };
  }),
);

// The part the naming changes, alone: the adapter resolving the target set (the rest is the same per-socket write).
// `apply` is private in the types; it is what every broadcast calls (socket.io-adapter 2.x).
const adapter = io.of('/').adapter as unknown as {
  apply(opts: { rooms: Set<string>; except: Set<string> }, cb: (socket: unknown) => void): void;
};
const resolve = (rooms: string[], except: string[] = []) => {
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 20; i++) adapter.apply({ rooms: new Set(rooms), except: new Set(except) }, () => n++);
  return { ms: (performance.now() - t0) / 20, n: n / 20 };
};
for (let i = 0; i < 3; i++) resolve(ids); // warm-up
console.log('\ntarget-set resolution alone (adapter.apply, mean of 20)');
console.table(
  [
    ['to(<all ids>)', resolve(ids)],
    ['to(room)', resolve([ROOM])],
    ['to(room).except(1%)', resolve([ROOM], filtered)],
  ].map(([name, r]) => {
    const { ms, n } = r as { ms: number; n: number };
    return { variant: name, 'ms per broadcast': ms.toFixed(2), sockets: n };
  }),
);
child.send({ cmd: 'stop' });
io.disconnectSockets(true);
io.close();
process.exit(0);
