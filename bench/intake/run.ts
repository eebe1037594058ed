/**
 * Off-chain intake: signed SDK payloads admitted per second over HTTP (verified, stored, published), next to its two
 * ceilings measured in the same run: (a) a bare Fastify route answering the same POST with 204, under the same
 * load, and (b) the raw secp256k1 recovery rate of the verifier pool on the same number of threads.
 *   npx tsx bench/intake/run.ts [--seconds 10] [--warmup 2] [--connections 64] [--threads 2]
 *     [--phases bare,intake,recovery] [--min-split N]  (verifier pool: flushes of ≤ N signatures go to one worker)
 *
 * The intake is served by the node's own route (`registerWriteRoutes`, body schema included) on a SQLite store.
 * The load generator (autocannon) runs in a child process (`load.ts`) for (a) and the intake alike, so neither
 * server shares its event loop with the client. Each server first takes `--warmup` seconds of the same load, not
 * measured: the numbers are the steady state of a running node, not V8 compiling the request path. CPU per request is printed too — all threads of this process, its
 * main thread alone (Linux), and the load generator — with the mean group-commit and verifier batch sizes: CPU per
 * request judges a change even when other work shares the machine, where rates swing with the load.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { registerWriteRoutes } from '../../src/api/routes/write.js';
import { createAdmission } from '../../src/ingest/admission/index.js';
import { createBus } from '../../src/ingest/bus.js';
import { createVerifierPool, typedDataDigest } from '../../src/ingest/verify/index.js';
import { openStore } from '../../src/store/index.js';
import {
  addr,
  CORE_CHAIN_ID,
  CORE_COMM,
  sdkSend,
  seedChannel,
  signData,
} from '../../test/admission/support.js';
import type { LoadCommand, LoadReply } from './load.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] as string);
};
const seconds = Number(opt('seconds', '10'));
const warmup = Number(opt('warmup', '2'));
const connections = Number(opt('connections', '64'));
const threads = Number(opt('threads', '2'));
const minSplit = args.includes('--min-split') ? Number(opt('min-split', '32')) : undefined;
const phases = new Set(opt('phases', 'bare,intake,recovery').split(','));
const loadAtStart = loadavg()[0]!.toFixed(1);

const benchDir = mkdtempSync('/tmp/push-bench-intake-');
const store = await openStore({ sqlitePath: join(benchDir, 'db.sqlite') });
await seedChannel(store.db, 1);
const registry = new Registry();
const pool = createVerifierPool({ threads, registry, ...(minSplit ? { minSplit } : {}) });
await pool.ready();
const bus = createBus();
let published = 0;
bus.subscribe(() => published++);
const admission = createAdmission({
  store,
  coreChainId: CORE_CHAIN_ID,
  chains: [{ chainId: CORE_CHAIN_ID, comm: CORE_COMM, rpcUrls: [] }],
  verifier: pool,
  bus,
  registry,
  limits: { perIp: null, perChannel: null },
});

// One signed SDK body; each request gets a fresh ::uid:: (as the SDK does), so every request is a new notification
// that is verified in full.
const template = await sdkSend(1, CORE_CHAIN_ID, addr(1), { title: 'bench' });
const proofBase = template.verificationProof.slice(0, template.verificationProof.indexOf('::uid::'));

const loadScript = fileURLToPath(new URL('./load.ts', import.meta.url));

async function load(url: string, tag: string, seconds: number): Promise<LoadReply> {
  const child: ChildProcess = fork(loadScript, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    return await new Promise<LoadReply>((resolve, reject) => {
      child.once('message', (r) => resolve(r as LoadReply));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`load generator exited (${code}) before answering`)));
      const cmd: LoadCommand = { url, connections, seconds, body: template, proofBase, tag };
      child.send(cmd);
    });
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** CPU time of this process's main thread in µs (Linux /proc; null elsewhere): it excludes the verifier workers. */
function mainThreadCpuUs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // utime + stime, in USER_HZ (100) ticks
  } catch {
    return null;
  }
}

interface ServerRun {
  load: LoadReply;
  /** CPU of this whole process (main thread and verifier workers) per 2xx answer, µs. */
  cpuPerRequestUs: number;
  /** CPU of the main thread alone per 2xx answer, µs (null when /proc is not there). */
  mainCpuPerRequestUs: number | null;
  /** Share of the run the main thread's event loop was busy. */
  elu: number;
  /** Notifications announced on the bus during the measured run. */
  published: number;
}

async function measureServer(app: ReturnType<typeof Fastify>, tag: string): Promise<ServerRun> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/apis/v1/payloads`;
  if (warmup > 0) await load(url, `${tag}-warmup`, warmup);
  const published0 = published;
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuUs();
  const elu0 = performance.eventLoopUtilization();
  const r = await load(url, tag, seconds);
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuUs();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  await app.close();
  const ok = Math.max(1, r.ok);
  return {
    load: r,
    cpuPerRequestUs: (cpu.user + cpu.system) / ok,
    mainCpuPerRequestUs: main0 === null || main1 === null ? null : (main1 - main0) / ok,
    elu,
    published: published - published0,
  };
}

let a: ServerRun | null = null;
if (phases.has('bare')) {
  const bare = Fastify();
  bare.post('/apis/v1/payloads', async (_req, reply) => reply.code(204).send());
  a = await measureServer(bare, 'bare');
}

/** Mean of a histogram metric (observations since start), or null. */
async function histogramMean(name: string): Promise<number | null> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m?.values ?? []) as { metricName?: string; value: number }[];
  const sum = values.find((v) => v.metricName === `${name}_sum`)?.value ?? 0;
  const count = values.find((v) => v.metricName === `${name}_count`)?.value ?? 0;
  return count > 0 ? sum / count : null;
}

let intake: ServerRun | null = null;
let meanBatch: number | null = null;
let meanFlush: number | null = null;
let admittedPerSec = 0;
if (phases.has('intake')) {
  // The node's own door (its body schema included), as a client meets it.
  const app = Fastify();
  registerWriteRoutes(app, { admission });
  intake = await measureServer(app, 'intake');
  admittedPerSec = intake.published / intake.load.seconds;
  meanBatch = await histogramMean('push_node_admission_batch_items');
  meanFlush = await histogramMean('push_node_verify_flush_jobs');
}

// (b) raw recovery on the pool.
let recoveries = 0;
if (phases.has('recovery')) {
  const sig = await signData(1, CORE_CHAIN_ID, 'x');
  const digest = typedDataDigest({
    domain: { name: 'EPNS COMM V1', chainId: CORE_CHAIN_ID, verifyingContract: CORE_COMM },
    types: { Data: [{ name: 'data', type: 'string' }] },
    primaryType: 'Data',
    message: { data: 'x' },
  });
  const jobs = Array.from({ length: 20_000 }, () => ({ digest, signature: sig }));
  await pool.recoverBatch(jobs.slice(0, 2000));
  const r0 = process.hrtime.bigint();
  await pool.recoverBatch(jobs);
  recoveries = jobs.length / (Number(process.hrtime.bigint() - r0) / 1e9);
}
await admission.stop();
await pool.close();
await store.close();
rmSync(benchDir, { recursive: true });

const rows: { measure: string; value: number | string }[] = [
  { measure: 'load average at start / end', value: `${loadAtStart} / ${loadavg()[0]!.toFixed(1)}` },
];
if (a) {
  rows.push(
    { measure: '(a) bare Fastify 204, req/s', value: Math.round(a.load.rps) },
    { measure: '(a) server CPU µs/request', value: Math.round(a.cpuPerRequestUs) },
    { measure: '(a) server main-thread CPU µs/request', value: Math.round(a.mainCpuPerRequestUs ?? -1) },
    { measure: '(a) load generator CPU µs/request', value: Math.round(a.load.cpuPerRequestUs) },
  );
}
if (recoveries)
  rows.push({ measure: `(b) raw recovery, ${threads} threads, /s`, value: Math.round(recoveries) });
if (intake) {
  rows.push(
    { measure: 'intake (HTTP, verified, stored, published), req/s', value: Math.round(intake.load.rps) },
    { measure: 'intake notifications published /s', value: Math.round(admittedPerSec) },
    { measure: 'intake non-2xx / errors', value: `${intake.load.non2xx} / ${intake.load.errors}` },
    { measure: 'intake p50 / p99 latency ms', value: `${intake.load.p50} / ${intake.load.p99}` },
    { measure: 'intake server CPU µs/request (all threads)', value: Math.round(intake.cpuPerRequestUs) },
    { measure: 'intake main-thread CPU µs/request', value: Math.round(intake.mainCpuPerRequestUs ?? -1) },
    { measure: 'intake load generator CPU µs/request', value: Math.round(intake.load.cpuPerRequestUs) },
    { measure: 'intake main-thread event-loop utilisation', value: Number(intake.elu.toFixed(2)) },
    { measure: 'intake mean payloads per store transaction', value: Number((meanBatch ?? 0).toFixed(1)) },
    { measure: 'intake mean signatures per verifier flush', value: Number((meanFlush ?? 0).toFixed(1)) },
  );
}
if (a && recoveries && intake) {
  const ceiling = Math.min(a.load.rps, recoveries);
  rows.push({ measure: 'intake / min(a, b)', value: Number((admittedPerSec / ceiling).toFixed(2)) });
}
console.table(rows);
