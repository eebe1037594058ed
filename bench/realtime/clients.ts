/**
 * The subscribers: `count` socket.io clients (websocket transport, one address each) in one process, connected
 * to the server the runner names. Records, per broadcast seq, the wall-clock time each client received it and tells
 * the runner when every connected client has it.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { CORE_CHAIN_ID, type Command, MARKER_RE, type Reply, subscriberAddress } from './shared.js';

const send = (r: Reply) => process.send?.(r);
const CONNECT_TIMEOUT_MS = 20_000;

const sockets: Socket[] = [];
let connected = 0;
/** Per seq: receive time (ms since epoch) per client index; 0 = not (yet) received. */
const times = new Map<number, Float64Array>();
const counts = new Map<number, number>();
const completed = new Set<number>();
let sampleSent = false;

function seqOf(item: unknown): number | null {
  const title = (item as { payload?: { notification?: { title?: unknown } } })?.payload?.notification?.title;
  const m = MARKER_RE.exec(typeof title === 'string' ? title : JSON.stringify(item));
  return m ? Number(m[1]) : null;
}

function received(i: number, item: unknown) {
  const at = Date.now();
  const seq = seqOf(item);
  if (seq === null) return;
  let row = times.get(seq);
  if (!row) {
    row = new Float64Array(sockets.length);
    times.set(seq, row);
  }
  if (row[i] !== 0) return; // a duplicate delivery is not a second one
  row[i] = at;
  const n = (counts.get(seq) ?? 0) + 1;
  counts.set(seq, n);
  if (seq === 0 && !sampleSent) {
    sampleSent = true;
    send({ type: 'sample', json: JSON.stringify(item) });
  }
  if (n >= connected && !completed.has(seq)) {
    completed.add(seq);
    send({ type: 'complete', seq });
  }
}

function open(url: string, i: number): Promise<boolean> {
  const s = connect(url, {
    transports: ['websocket'],
    query: { address: `eip155:${CORE_CHAIN_ID}:${subscriberAddress(i)}` },
    reconnection: false,
    forceNew: true,
    timeout: CONNECT_TIMEOUT_MS,
  });
  sockets[i] = s;
  s.on('userFeeds', (item: unknown) => received(i, item));
  return new Promise((resolve) => {
    s.once('connect', () => resolve(true));
    s.once('connect_error', () => resolve(false));
  });
}

/** Opens `count` sockets, `batch` handshakes in flight at a time (a loopback SYN flood helps nobody). */
async function connectAll(url: string, count: number, batch: number) {
  const started = Date.now();
  sockets.length = count;
  let ok = 0;
  let failed = 0;
  for (let from = 0; from < count; from += batch) {
    const results = await Promise.all(
      Array.from({ length: Math.min(batch, count - from) }, (_, k) => open(url, from + k)),
    );
    for (const r of results) r ? ok++ : failed++;
  }
  connected = ok;
  send({ type: 'connected', ok, failed, ms: Date.now() - started });
}

process.on('message', (m: Command) => {
  if (m.cmd === 'connect') void connectAll(m.url, m.count, m.batch);
  else if (m.cmd === 'times') {
    send({ type: 'times', seq: m.seq, times: Array.from(times.get(m.seq) ?? []).filter((t) => t > 0) });
  } else if (m.cmd === 'stop') shutdown();
});
process.on('disconnect', () => shutdown());

function shutdown() {
  for (const s of sockets) s?.close();
  process.exit(0);
}

send({ type: 'ready' });
