/**
 * Signature verification throughput: `npx tsx bench/verify/run.ts`.
 * Prints recoveries (or verifications) per second, the median of 3 runs each, for every path the node can take.
 * Signatures are made beforehand with the native signer from fixed keys; only verification is timed.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import secp256k1 from 'secp256k1';
import { bytesToHex, hashTypedData } from 'viem';
import { typedDataDigest, typedDataDigestViem } from '../../src/ingest/verify/digest.js';
import { createVerifierPool } from '../../src/ingest/verify/pool.js';
import { recoverAddress } from '../../src/ingest/verify/recover.js';
import { verifyTypedSignature } from '../../src/ingest/verify/verify-typed.js';

const RUNS = 3;
const key = new Uint8Array(32).fill(0x42);

const domain = {
  name: 'EPNS COMM V1',
  chainId: 11155111,
  verifyingContract: '0x9dDCD7ed7151afab43044E4D694FA064742C428c',
} as const;
const DATA = { Data: [{ name: 'data', type: 'string' }] } as const;

function signed(n: number) {
  const jobs: { digest: `0x${string}`; signature: `0x${string}` }[] = [];
  for (let i = 0; i < n; i++) {
    const digest = new Uint8Array(32);
    new DataView(digest.buffer).setUint32(0, i + 1);
    digest[31] = 7;
    const { signature, recid } = secp256k1.ecdsaSign(digest, key);
    jobs.push({
      digest: bytesToHex(digest),
      signature: `${bytesToHex(signature)}${(27 + recid).toString(16)}`,
    });
  }
  return jobs;
}

function typed(n: number) {
  const out: Array<{ message: { data: string }; signature: `0x${string}` }> = [];
  for (let i = 0; i < n; i++) {
    // the shape of an SDK send: a DIRECT_PAYLOAD identity string
    const message = {
      data: `2+{"notification":{"title":"Alert ${i}","body":"Price moved"},"data":{"acta":"https://app.example","aimg":"","amsg":"Price moved by ${i} bps","asub":"Alert ${i}","type":"3"},"recipients":{"0x52908400098527886e0f7030069857d2e4169ee7":null}}`,
    };
    const digest = Buffer.from(
      hashTypedData({ domain, types: DATA, primaryType: 'Data', message }).slice(2),
      'hex',
    );
    const { signature, recid } = secp256k1.ecdsaSign(digest, key);
    out.push({ message, signature: `${bytesToHex(signature)}${(27 + recid).toString(16)}` });
  }
  return out;
}

async function measure(name: string, n: number, run: () => unknown | Promise<unknown>) {
  await run(); // warm-up (JIT, worker start)
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await run();
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  rows.push({ name, n, median: rates[1]!, min: rates[0]!, max: rates[2]! });
}

const rows: { name: string; n: number; median: number; min: number; max: number }[] = [];

const few = signed(300);
await measure('noble, 1 thread (recoverAddress)', few.length, () => {
  for (const j of few) recoverAddress(j.digest, j.signature, { backend: 'noble' });
});

const many = signed(20_000);
await measure('native, 1 thread (recoverAddress)', many.length, () => {
  for (const j of many) recoverAddress(j.digest, j.signature, { backend: 'native' });
});

// The ceiling: two bare threads looping over ecdsaRecover with nothing else (no parsing, batching, messages).
// On a shared VM two threads do not give twice one thread; this row says how much the hardware does give.
{
  const binding = createRequire(import.meta.url).resolve('secp256k1/bindings.js');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const secp = require(${JSON.stringify(binding)});
    const jobs = workerData.map((j) => [Buffer.from(j.digest.slice(2), 'hex'), Buffer.from(j.signature.slice(2, 130), 'hex'), parseInt(j.signature.slice(130), 16) - 27]);
    parentPort.on('message', () => {
      for (const [d, s, r] of jobs) secp.ecdsaRecover(s, r, d, false);
      parentPort.postMessage('done');
    });
    parentPort.postMessage('ready');`;
  const half = many.length / 2;
  const bare = [many.slice(0, half), many.slice(half)].map(
    (part) => new Worker(code, { eval: true, workerData: part }),
  );
  await Promise.all(bare.map((w) => once(w, 'message')));
  await measure('ceiling: 2 bare threads looping ecdsaRecover', many.length, () =>
    Promise.all(
      bare.map((w) => {
        const done = once(w, 'message');
        w.postMessage('go');
        return done;
      }),
    ),
  );
  await Promise.all(bare.map((w) => w.terminate()));
}

const pool = createVerifierPool({ threads: 2 });
await pool.ready();
await measure('native pool, 2 threads (recoverBatch)', many.length, () => pool.recoverBatch(many));
await measure('native pool, 2 threads (concurrent recover)', many.length, () =>
  Promise.all(many.map((j) => pool.recover(j.digest, j.signature))),
);

const messages = typed(20_000);
await measure('EIP-712 digest only, viem hashTypedData', messages.length, () => {
  for (const m of messages)
    typedDataDigestViem({ domain, types: DATA, primaryType: 'Data', message: m.message });
});
await measure('EIP-712 digest only, fast path', messages.length, () => {
  for (const m of messages) typedDataDigest({ domain, types: DATA, primaryType: 'Data', message: m.message });
});
await measure('EIP-712 verify, native, 1 thread', messages.length, () => {
  for (const m of messages) verifyTypedSignature({ domain, types: DATA, primaryType: 'Data', ...m });
});
await measure('EIP-712 verify (digest + recover) via pool, 2 threads', messages.length, () =>
  Promise.all(messages.map((m) => pool.verifyTyped({ domain, types: DATA, primaryType: 'Data', ...m }))),
);
await pool.close();

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(
  `\nsignature verification — ${availableParallelism()} cores (${cpu}), Node ${process.version}, median of ${RUNS}\n`,
);
const width = Math.max(...rows.map((r) => r.name.length));
console.log(`${'path'.padEnd(width)} | ${'jobs'.padStart(6)} | ${'per second'.padStart(10)} | range`);
console.log(`${'-'.repeat(width)}-|-${'-'.repeat(6)}-|-${'-'.repeat(10)}-|------------------`);
for (const r of rows) {
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(
    `${r.name.padEnd(width)} | ${String(r.n).padStart(6)} | ${fmt(r.median).padStart(10)} | ${fmt(r.min)}–${fmt(r.max)}`,
  );
}
