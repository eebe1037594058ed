/**
 * Live fan-out of a broadcast (issue 5): N socket.io subscribers of one channel, the broadcast sent through the
 * node's real door (`POST /apis/v1/payloads`, EIP-712 signed as the SDK does) and admission path, against a bare
 * socket.io server emitting the same feed item to the same number of clients in the same run.
 *   npx tsx bench/realtime/run.ts [--clients 10000] [--broadcasts 5] [--batch 200] [--bare-by-ids]
 * (`--bare-by-ids`: the bare server addresses each socket by its id room, as the node does, instead of `io.emit`.)
 *
 * Three processes per phase: the server (node or bare), the clients, and this runner (which sends and measures).
 * Latency = client receive time − the runner's time just before the HTTP request (one machine clock). Deliveries/s
 * = deliveries / Σ(last receive − send) over the measured broadcasts. Memory per connection = (server RSS with N
 * clients − RSS with none) / N, each read after a forced GC.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { getAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  argValue,
  CHANNEL_KEY,
  CORE_CHAIN_ID,
  CORE_COMM,
  type Command,
  marker,
  type Reply,
  spawnChild,
} from './shared.js';

const args = process.argv.slice(2);
const CLIENTS = argValue(args, 'clients', 10_000);
const BROADCASTS = argValue(args, 'broadcasts', 5);
const BATCH = argValue(args, 'batch', 200);
const BROADCAST_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 60_000 + CLIENTS * 20;
/** Quiet time between broadcasts, so one's tail does not overlap the next one's start. */
const GAP_MS = 500;

/** Other work on the machine shares the cores with all three processes: printed so a reader can judge the run. */
const loadNow = () => loadavg()[0]!.toFixed(1);
const loadAtStart = loadNow();

const TARGETS = { p99Ratio: 1.5, rateRatio: 0.5, memRatio: 1.2 };

// ---- child processes -------------------------------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  send(c: Command): void;
  /** The next (buffered or future) message of this type matching `pick`. */
  next<T extends Reply['type']>(
    type: T,
    timeoutMs: number,
    pick?: (r: Extract<Reply, { type: T }>) => boolean,
  ): Promise<Extract<Reply, { type: T }>>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

function startChild(name: string, file: string, childArgs: string[] = []): Child {
  const proc = spawnChild(file, childArgs);
  children.add(proc);
  const inbox: Reply[] = [];
  const waiters: { match: (r: Reply) => boolean; resolve: (r: Reply) => void }[] = [];
  let exited: string | null = null;
  const failAll = new Set<(e: Error) => void>();

  proc.on('message', (r: Reply) => {
    if (r.type === 'error') {
      process.stderr.write(`${name} failed: ${r.message}\n`);
      return;
    }
    const w = waiters.findIndex((x) => x.match(r));
    if (w >= 0) waiters.splice(w, 1)[0]!.resolve(r);
    else inbox.push(r);
  });
  proc.on('exit', (code, signal) => {
    children.delete(proc);
    exited = `${name} exited (${signal ?? code})`;
    for (const f of failAll) f(new Error(exited));
  });

  return {
    proc,
    send: (c) => {
      if (proc.connected) proc.send(c);
    },
    next(type, timeoutMs, pick) {
      const match = (r: Reply) => r.type === type && (!pick || pick(r as never));
      const i = inbox.findIndex(match);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as never);
      if (exited) return Promise.reject(new Error(exited));
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (r: Reply) => {
            clearTimeout(timer);
            failAll.delete(fail);
            resolve(r as never);
          },
        };
        const fail = (e: Error) => {
          clearTimeout(timer);
          reject(e);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          failAll.delete(fail);
          reject(new Error(`${name}: no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
        failAll.add(fail);
      });
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      if (proc.connected) proc.send({ cmd: 'stop' } satisfies Command);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function killChildren() {
  for (const p of children) p.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}

// ---- the SDK's send --------------------------------------------------------------------------------------------

const owner = privateKeyToAccount(CHANNEL_KEY);
const channelCaip = `eip155:${CORE_CHAIN_ID}:${getAddress(owner.address)}`;

/** A broadcast body as `@pushprotocol/restapi` builds it: identity `2+<json>` signed as EIP-712 `Data{data}`. */
async function signedBroadcast(seq: number) {
  const title = `Fan-out ${marker(seq)}`;
  const body = 'A broadcast to every subscriber of the channel, sent through the signed payload door.';
  const identity = `2+${JSON.stringify({
    notification: { title, body },
    data: { acta: 'https://bench.example/cta', aimg: '', amsg: body, asub: title, type: '1' },
    recipients: channelCaip,
  })}`;
  const sig = await owner.signTypedData({
    domain: { name: 'EPNS COMM V1', chainId: CORE_CHAIN_ID, verifyingContract: CORE_COMM },
    types: { Data: [{ name: 'data', type: 'string' }] },
    primaryType: 'Data',
    message: { data: identity },
  });
  return {
    verificationProof: `eip712v2:${sig}::uid::${randomUUID()}`,
    identity,
    sender: channelCaip,
    source: 'ETH_TEST_SEPOLIA',
    recipient: channelCaip,
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 204) throw new Error(`POST ${url} → ${res.status}: ${await res.text()}`);
}

// ---- one phase -------------------------------------------------------------------------------------------------

interface PhaseResult {
  name: string;
  connected: number;
  connectMs: number;
  latencies: number[];
  /** Per broadcast, the first client's latency: the fixed cost (HTTP, admission) before the fan-out starts. */
  firsts: number[];
  deliveries: number;
  expected: number;
  spanMs: number;
  kbPerConn: number;
  heapKbPerConn: number;
  rssIdleMb: number;
  rssLoadedMb: number;
  sample?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssOf = async (c: Child) => {
  c.send({ cmd: 'rss' });
  return c.next('rss', 30_000);
};

async function phase(
  name: string,
  server: Child,
  url: string,
  sendBroadcast: (seq: number) => Promise<void>,
): Promise<PhaseResult> {
  await sleep(500);
  const idle = await rssOf(server);
  const clients = startChild(`${name} clients`, './clients.ts');
  try {
    await clients.next('ready', 60_000);
    clients.send({ cmd: 'connect', url, count: CLIENTS, batch: BATCH });
    const conn = await clients.next('connected', CONNECT_TIMEOUT_MS);
    process.stderr.write(`${name}: ${conn.ok} connected (${conn.failed} failed) in ${conn.ms} ms\n`);
    if (conn.ok === 0) throw new Error(`${name}: no client connected`);

    // Warm-up (seq 0): also proves every socket is in the channel's live index before anything is measured.
    await sleep(1000);
    await sendBroadcast(0);
    const warm = await clients.next('complete', BROADCAST_TIMEOUT_MS, (r) => r.seq === 0).catch(() => null);
    if (!warm) process.stderr.write(`${name}: warm-up did not reach every client\n`);
    const sample =
      name === 'node' ? (await clients.next('sample', 5_000).catch(() => null))?.json : undefined;
    await sleep(GAP_MS);
    const loaded = await rssOf(server);

    const latencies: number[] = [];
    const firsts: number[] = [];
    let deliveries = 0;
    let spanMs = 0;
    for (let seq = 1; seq <= BROADCASTS; seq++) {
      const done = clients.next('complete', BROADCAST_TIMEOUT_MS, (r) => r.seq === seq).catch(() => null);
      const sentAt = Date.now();
      await sendBroadcast(seq);
      if (!(await done)) process.stderr.write(`${name}: broadcast ${seq} did not reach every client\n`);
      clients.send({ cmd: 'times', seq });
      const { times } = await clients.next('times', 30_000, (r) => r.seq === seq);
      let last = sentAt;
      let first = Number.POSITIVE_INFINITY;
      for (const t of times) {
        if (t < first) first = t;
        latencies.push(t - sentAt);
        if (t > last) last = t;
      }
      if (times.length) firsts.push(first - sentAt);
      deliveries += times.length;
      spanMs += last - sentAt;
      await sleep(GAP_MS);
    }
    return {
      name,
      connected: conn.ok,
      connectMs: conn.ms,
      latencies,
      firsts,
      deliveries,
      expected: conn.ok * BROADCASTS,
      spanMs,
      kbPerConn: (loaded.rss - idle.rss) / conn.ok / 1024,
      heapKbPerConn: (loaded.heap - idle.heap) / conn.ok / 1024,
      rssIdleMb: idle.rss / 2 ** 20,
      rssLoadedMb: loaded.rss / 2 ** 20,
      ...(sample ? { sample } : {}),
    };
  } finally {
    await clients.stop();
  }
}

// ---- report ----------------------------------------------------------------------------------------------------

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

function summarise(r: PhaseResult) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    first: quantile(
      [...r.firsts].sort((a, b) => a - b),
      0.5,
    ),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    rate: r.spanMs > 0 ? (r.deliveries / r.spanMs) * 1000 : 0,
    kb: r.kbPerConn,
  };
}

function printTable(bare: PhaseResult, node: PhaseResult) {
  const b = summarise(bare);
  const n = summarise(node);
  const rows: Record<string, Record<string, string>> = {};
  for (const [r, s] of [
    [bare, b],
    [node, n],
  ] as const) {
    rows[r.name === 'node' ? 'push node' : 'bare socket.io'] = {
      clients: String(r.connected),
      'delivered/expected': `${r.deliveries}/${r.expected}`,
      'first ms': s.first.toFixed(0),
      'p50 ms': s.p50.toFixed(0),
      'p99 ms': s.p99.toFixed(0),
      'max ms': s.max.toFixed(0),
      'deliveries/s': s.rate.toFixed(0),
      'KB/conn': s.kb.toFixed(1),
      'heap KB/conn': r.heapKbPerConn.toFixed(1),
      'RSS MB 0→N': `${r.rssIdleMb.toFixed(0)}→${r.rssLoadedMb.toFixed(0)}`,
      'connect s': (r.connectMs / 1000).toFixed(1),
    };
  }
  console.log(
    `\nrealtime fan-out: ${CLIENTS} clients, ${BROADCASTS} broadcasts (+1 warm-up), one channel; ` +
      `${cpus().length} cores, load average ${loadAtStart} at start, ${loadNow()} at end`,
  );
  console.table(rows);
  console.log("first ms = median over broadcasts of the first client's latency (fixed cost before fan-out)");
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const p99Ratio = n.p99 / b.p99;
  const rateRatio = n.rate / b.rate;
  const memRatio = n.kb / b.kb;
  console.table({
    'p99 node/bare': {
      ratio: p99Ratio.toFixed(2),
      target: `≤ ${TARGETS.p99Ratio}`,
      result: verdict(p99Ratio <= TARGETS.p99Ratio),
    },
    'deliveries/s node/bare': {
      ratio: rateRatio.toFixed(2),
      target: `≥ ${TARGETS.rateRatio}`,
      result: verdict(rateRatio >= TARGETS.rateRatio),
    },
    'KB/conn node/bare': {
      ratio: memRatio.toFixed(2),
      target: `≤ ${TARGETS.memRatio}`,
      result: verdict(memRatio <= TARGETS.memRatio),
    },
    'all delivered': {
      ratio: `${node.deliveries + bare.deliveries}/${node.expected + bare.expected}`,
      target: `${CLIENTS * BROADCASTS * 2}`,
      result: verdict(
        node.deliveries === node.expected &&
          bare.deliveries === bare.expected &&
          node.connected === CLIENTS &&
          bare.connected === CLIENTS,
      ),
    },
  });
}

// ---- main ------------------------------------------------------------------------------------------------------

async function main() {
  const bodies = await Promise.all(Array.from({ length: BROADCASTS + 1 }, (_, seq) => signedBroadcast(seq)));

  const nodeProc = startChild('node', './node-process.ts', ['--subscribers', String(CLIENTS)]);
  let node: PhaseResult;
  try {
    const { url } = await nodeProc.next('ready', 120_000);
    process.stderr.write(`node listening at ${url}\n`);
    node = await phase('node', nodeProc, url as string, (seq) =>
      post(`${url}/apis/v1/payloads`, bodies[seq]),
    );
  } finally {
    await nodeProc.stop();
  }
  if (!node.sample) throw new Error('no feed item was captured from the node');

  const bareProc = startChild(
    'bare',
    './bare-process.ts',
    args.includes('--bare-by-ids') ? ['--by-ids'] : [],
  );
  let bare: PhaseResult;
  try {
    const { url } = await bareProc.next('ready', 60_000);
    bareProc.send({ cmd: 'template', json: node.sample });
    process.stderr.write(
      `bare socket.io at ${url}, feed item ${Buffer.byteLength(node.sample)} bytes (captured from the node)\n`,
    );
    bare = await phase('bare', bareProc, url as string, (seq) => post(`${url}/emit`, { seq }));
  } finally {
    await bareProc.stop();
  }

  printTable(bare, node);
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    killChildren();
    process.exit(1);
  });
