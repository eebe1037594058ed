/**
 * What the benchmark's processes agree on: subscriber addresses, the broadcast marker and the IPC messages.
 * Kept free of I/O so every process can import it cheaply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CORE_CHAIN_ID = 11155111;
/** The Comm contract the SDK's LOCAL env signs for (the EIP-712 verifying contract). */
export const CORE_COMM = '0x9dDCD7ed7151afab43044E4D694FA064742C428c';
/** The channel owner's key: a fixed test key, never a real one. */
export const CHANNEL_KEY = `0x${'b'.repeat(63)}1` as const;

/**
 * Subscriber i's address (lower case). Offset so none collides with the channel owner or small test addresses.
 * The clients and the node's seed derive the same list from the count alone.
 */
export const subscriberAddress = (i: number) => `0x${(0x10_0000 + i).toString(16).padStart(40, '0')}`;

/**
 * Every broadcast carries `bench-<seq>` in its title, fixed width so the bare server's copies keep the node's byte
 * size. Seq 0 is the warm-up.
 */
export const marker = (seq: number) => `bench-${String(seq).padStart(5, '0')}`;
export const MARKER_RE = /bench-(\d{5})/;

/** Parent → child. */
export type Command =
  | { cmd: 'rss' }
  | { cmd: 'template'; json: string }
  | { cmd: 'connect'; url: string; count: number; batch: number }
  | { cmd: 'times'; seq: number }
  | { cmd: 'stop' };

/** Child → parent. */
export type Reply =
  | { type: 'ready'; url?: string }
  | { type: 'rss'; rss: number; heap: number; sockets: number }
  | { type: 'connected'; ok: number; failed: number; ms: number }
  | { type: 'complete'; seq: number }
  | { type: 'times'; seq: number; times: number[] }
  | { type: 'sample'; json: string }
  | { type: 'error'; message: string };

export function argValue(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return def;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} needs a positive whole number\n`);
    process.exit(2);
  }
  return n;
}

/**
 * Starts a bench script in its own Node process, with an IPC channel and the open-files limit raised (a process
 * holding 10k sockets needs more than the usual 1024). `exec` keeps the child's pid = the one we kill.
 */
export function spawnChild(file: string, args: string[] = []): ChildProcess {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const quoted = [path, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return spawn('bash', ['-c', `ulimit -n 20000 2>/dev/null; exec node --expose-gc --import tsx ${quoted}`], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
}

/**
 * Memory after a full collection, so garbage waiting to be collected is not counted as per-connection memory.
 * `heap` (live JS heap + external buffers) is a cross-check: RSS under-counts growth into pages a process had
 * already mapped (a node with a big idle heap absorbs new sockets there).
 */
export function settledMemory(): { rss: number; heap: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}
