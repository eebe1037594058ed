/**
 * Off-chain intake: signed SDK payloads admitted per second over HTTP (verified, stored, published), next to its two
 * ceilings measured in the same run: (a) a bare Fastify route answering the same POST with 204, under the same
 * autocannon load, and (b) the raw secp256k1 recovery rate of the verifier pool on the same number of threads.
 *   npx tsx bench/intake/run.ts [--seconds 10] [--connections 64] [--threads 2]
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error autocannon ships no types (and @types/autocannon is not installed)
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { isPushError } from '../../src/errors.js';
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

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] as string);
};
const seconds = Number(opt('seconds', '10'));
const connections = Number(opt('connections', '64'));
const threads = Number(opt('threads', '2'));

const store = await openStore({ sqlitePath: join(mkdtempSync('/tmp/push-bench-intake-'), 'db.sqlite') });
await seedChannel(store.db, 1);
const pool = createVerifierPool({ threads });
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
  limits: { perIp: null, perChannel: null },
});

// One signed SDK body; each request gets a fresh ::uid:: (as the SDK does), so every request is a new notification
// that is verified in full.
const template = await sdkSend(1, CORE_CHAIN_ID, addr(1), { title: 'bench' });
const base = template.verificationProof.slice(0, template.verificationProof.indexOf('::uid::'));
let n = 0;
const nextBody = () => JSON.stringify({ ...template, verificationProof: `${base}::uid::b${n++}` });

async function load(url: string): Promise<{ rps: number; non2xx: number; p99: number }> {
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: nextBody() }),
      },
    ],
  });
  return { rps: r.requests.average, non2xx: r.non2xx, p99: r.latency.p99 };
}

const bare = Fastify();
bare.post('/apis/v1/payloads/', async (_req, reply) => reply.code(204).send());
await bare.listen({ port: 0, host: '127.0.0.1' });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/apis/v1/payloads/`;
const a = await load(bareUrl);
await bare.close();

const app = Fastify();
app.post('/apis/v1/payloads/', async (req, reply) => {
  try {
    await admission.admitPayload(req.body as never, { ip: req.ip });
    return reply.code(204).send();
  } catch (err) {
    if (isPushError(err)) return reply.code(err.status).send(err.toBody());
    throw err;
  }
});
await app.listen({ port: 0, host: '127.0.0.1' });
const intakeUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/apis/v1/payloads/`;
const before = published;
const t0 = Date.now();
const intake = await load(intakeUrl);
const admittedPerSec = (published - before) / ((Date.now() - t0) / 1000);
await app.close();

// (b) raw recovery on the pool.
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
const recoveries = jobs.length / (Number(process.hrtime.bigint() - r0) / 1e9);
await pool.close();
await store.close();

const ceiling = Math.min(a.rps, recoveries);
console.table([
  { measure: '(a) bare Fastify 204, req/s', value: Math.round(a.rps) },
  { measure: `(b) raw recovery, ${threads} threads, /s`, value: Math.round(recoveries) },
  { measure: 'intake (HTTP, verified, stored, published), req/s', value: Math.round(intake.rps) },
  { measure: 'intake notifications published /s', value: Math.round(admittedPerSec) },
  { measure: 'intake non-2xx', value: intake.non2xx },
  { measure: 'intake p99 latency ms', value: intake.p99 },
  { measure: 'intake / min(a, b)', value: Number((intake.rps / ceiling).toFixed(2)) },
]);
