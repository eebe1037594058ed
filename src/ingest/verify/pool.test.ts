import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import secp256k1 from 'secp256k1';
import ts from 'typescript';
import { bytesToHex, hashTypedData, hexToBytes } from 'viem';
import { privateKeyToAccount, privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom as mulberry32 } from '../../../test/support/seeded-random.js';
import { isPushError } from '../../errors.js';
import { commDomain, DATA_TYPES, SUBSCRIBE_V1_TYPES } from '../../protocol/index.js';
import { createVerifierPool, type RecoverJob, type VerifierPool } from './pool.js';
import type { TypedSignatureInput } from './verify-typed.js';

// --- fixtures: many signatures, made fast with the native signer and a seeded generator ---------------------------

const random = mulberry32(20240601);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
const KEYS = Array.from({ length: 16 }, (_, i) => {
  const key = new Uint8Array(32);
  key[31] = i + 1;
  key[0] = 0x42;
  return key;
});
const ADDRESSES = KEYS.map((k) => privateKeyToAddress(bytesToHex(k)).toLowerCase());
const NOT_AN_X = `0x${'0'.repeat(63)}5`; // 5³ + 7 = 132 is not a square mod p

type Expected = { address: string } | { error: 'PUSH_ERR_SIGNATURE_INVALID'; reason: string };

function makeJobs(count: number): { jobs: RecoverJob[]; expected: Expected[] } {
  const jobs: RecoverJob[] = [];
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const digest = randomBytes(32);
    const k = i % KEYS.length;
    if (i % 1000 === 999) {
      // v = 29: refused on the main thread
      jobs.push({ digest, signature: `0x${'11'.repeat(64)}1d` });
      expected.push({ error: 'PUSH_ERR_SIGNATURE_INVALID', reason: 'v must be 27, 28, 0 or 1, got 29' });
      continue;
    }
    if (i % 1000 === 500) {
      // well-formed but no point has this r: refused by the worker
      jobs.push({ digest, signature: `${NOT_AN_X}${'00'.repeat(31)}011c` as `0x${string}` });
      expected.push({ error: 'PUSH_ERR_SIGNATURE_INVALID', reason: 'unrecoverable' });
      continue;
    }
    const { signature, recid } = secp256k1.ecdsaSign(digest, KEYS[k]!);
    const v = i % 2 === 0 ? 27 + recid : recid; // both encodings of v
    jobs.push({
      digest: i % 3 === 0 ? bytesToHex(digest) : digest,
      signature: `${bytesToHex(signature)}${v.toString(16).padStart(2, '0')}` as `0x${string}`,
    });
    expected.push({ address: ADDRESSES[k]! });
  }
  return { jobs, expected };
}

function outcome(r: { ok: true; address: string } | { ok: false; error: unknown }): Expected {
  if (r.ok) return { address: r.address };
  if (!isPushError(r.error, 'PUSH_ERR_SIGNATURE_INVALID')) throw r.error;
  return { error: 'PUSH_ERR_SIGNATURE_INVALID', reason: String(r.error.details?.reason) };
}

const domain = commDomain(11155111, '0x9dDCD7ed7151afab43044E4D694FA064742C428c');

/** A string of `length` code units: ASCII, multi-byte text and lone surrogates (UTF-8 encodes them as U+FFFD). */
function randomText(length: number): string {
  const pool = ['a', 'Z', '0', '+', '{', '"', 'é', '中', '😀', '\ud800', '\udfff'];
  let s = '';
  while (s.length < length) s += pool[Math.floor(random() * pool.length)];
  return s;
}

/** Typed data of the SDK's shapes (around keccak's 136-byte block), signed over viem's digest, some by no one. */
function makeTypedJobs(count: number) {
  const typed: TypedSignatureInput[] = [];
  const expected: string[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % KEYS.length;
    const input =
      i % 4 === 3
        ? {
            domain,
            types: SUBSCRIBE_V1_TYPES,
            primaryType: 'Subscribe',
            message: {
              channel: bytesToHex(randomBytes(20)),
              subscriber: ADDRESSES[k]!,
              action: 'Subscribe',
            },
          }
        : {
            domain,
            types: DATA_TYPES,
            primaryType: 'Data',
            message: { data: randomText(Math.floor(random() * 300)) },
          };
    const digest = hexToBytes(hashTypedData(input as Parameters<typeof hashTypedData>[0]));
    if (i % 50 === 49) {
      typed.push({ ...input, signature: `${NOT_AN_X}${'00'.repeat(31)}011c` as `0x${string}` });
      expected.push('PUSH_ERR_SIGNATURE_INVALID');
      continue;
    }
    const { signature, recid } = secp256k1.ecdsaSign(digest, KEYS[k]!);
    typed.push({
      ...input,
      signature: `${bytesToHex(signature)}${(27 + recid).toString(16)}` as `0x${string}`,
    });
    expected.push(ADDRESSES[k]!);
  }
  return {
    typed,
    expected: expected.map((e) => (e.startsWith('0x') ? e : expect.objectContaining({ code: e }))),
  };
}

// --- a two-thread pool shared by the read-only tests ---------------------------------------------------------------

describe('createVerifierPool (2 worker threads)', () => {
  let pool: VerifierPool;
  const registry = new Registry();

  beforeAll(async () => {
    pool = createVerifierPool({ threads: 2, registry });
    await pool.ready();
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('runs two workers on the native backend', () => {
    expect(pool.threads).toBe(2);
    expect(pool.backend).toBe('native');
  });

  it('answers 10,000 jobs of one batch correctly and in order, bad ones included', async () => {
    const { jobs, expected } = makeJobs(10_000);
    const results = await pool.recoverBatch(jobs);
    expect(results.map(outcome)).toEqual(expected);
  });

  it('gathers 4,000 concurrent single requests into a few batches', async () => {
    const { jobs, expected } = makeJobs(4_000);
    const before = await flushCount(registry);
    const settled = await Promise.allSettled(jobs.map((j) => pool.recover(j.digest, j.signature)));
    const got = settled.map((s) =>
      outcome(s.status === 'fulfilled' ? { ok: true, address: s.value } : { ok: false, error: s.reason }),
    );
    expect(got).toEqual(expected);
    const flushes = (await flushCount(registry)) - before;
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThan(10);
  });

  it('verifies EIP-712 typed data through the workers', async () => {
    const signer = privateKeyToAccount('0x0123456789012345678901234567890123456789012345678901234567890123');
    const messages = Array.from({ length: 50 }, (_, i) => ({ data: `0+1+Title ${i}+Body ${i}` }));
    const signatures = await Promise.all(
      messages.map((message) =>
        signer.signTypedData({ domain, types: DATA_TYPES, primaryType: 'Data', message }),
      ),
    );
    const signers = await Promise.all(
      messages.map((message, i) =>
        pool.verifyTyped({
          domain,
          types: DATA_TYPES,
          primaryType: 'Data',
          message,
          signature: signatures[i]!,
        }),
      ),
    );
    expect(new Set(signers)).toEqual(new Set([signer.address.toLowerCase()]));
  });

  it('hashes typed data in the workers exactly as viem does, in batches mixed with digest jobs', async () => {
    const { typed, expected } = makeTypedJobs(300);
    const digests = makeJobs(300);
    // One turn: typed and digest jobs share flushes (and so wire buffers).
    const [signers, recovered] = await Promise.all([
      Promise.allSettled(typed.map((t) => pool.verifyTyped(t))),
      pool.recoverBatch(digests.jobs),
    ]);
    expect(signers.map((s) => (s.status === 'fulfilled' ? s.value : s.reason))).toEqual(expected);
    expect(recovered.map(outcome)).toEqual(digests.expected);
  });

  it('refuses malformed input at once, without a worker', async () => {
    const { inFlight } = pool.stats();
    await expect(pool.recover(new Uint8Array(32), '0x1234')).rejects.toMatchObject({
      code: 'PUSH_ERR_SIGNATURE_INVALID',
    });
    await expect(pool.recover('0x12', `0x${'11'.repeat(64)}1b`)).rejects.toMatchObject({
      code: 'PUSH_ERR_VALIDATION',
    });
    await expect(
      pool.verifyTyped({
        domain,
        types: DATA_TYPES,
        primaryType: 'Data',
        message: { data: 1 },
        signature: `0x${'11'.repeat(64)}1b`,
      }),
    ).rejects.toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'message.data' });
    expect(pool.stats().inFlight).toBe(inFlight);
    expect(await pool.recoverBatch([])).toEqual([]);
  });

  it('exposes its metrics', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/push_node_verify_recoveries_total\{result="ok"\} \d+/);
    expect(text).toMatch(/push_node_verify_recoveries_total\{result="malformed"\} \d+/);
    expect(text).toMatch(/push_node_verify_recoveries_total\{result="unrecoverable"\} \d+/);
    expect(text).toContain('push_node_verify_pending_jobs 0');
  });
});

async function flushCount(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('push_node_verify_flush_jobs')?.get();
  const count = metric?.values.find(
    (v) => (v as { metricName?: string }).metricName === 'push_node_verify_flush_jobs_count',
  );
  return Number(count?.value ?? 0);
}

describe('createVerifierPool (other modes)', () => {
  it('threads: 0 recovers in the calling thread with the same answers', async () => {
    const pool = createVerifierPool({ threads: 0 });
    expect(pool.threads).toBe(0);
    const { jobs, expected } = makeJobs(1_000);
    expect((await pool.recoverBatch(jobs)).map(outcome)).toEqual(expected);
    const typed = makeTypedJobs(100);
    const signers = await Promise.allSettled(typed.typed.map((t) => pool.verifyTyped(t)));
    expect(signers.map((s) => (s.status === 'fulfilled' ? s.value : s.reason))).toEqual(typed.expected);
    await pool.ready();
    await pool.close();
  });

  it('runs the noble backend in a worker', async () => {
    const pool = createVerifierPool({ threads: 1, backend: 'noble' });
    try {
      expect(pool.backend).toBe('noble');
      const { jobs, expected } = makeJobs(40);
      expect((await pool.recoverBatch(jobs)).map(outcome)).toEqual(expected);
    } finally {
      await pool.close();
    }
  });

  it('terminates a worker that does not answer in time: its jobs fail instead of waiting, and close() ends', async () => {
    // A 1 ms deadline: no batch of 4,000 recoveries is answered that fast, as if the worker hung.
    const pool = createVerifierPool({ threads: 1, maxBatch: 4_000, batchDeadlineMs: 1 });
    try {
      await pool.ready();
      const { jobs } = makeJobs(4_000);
      const results = await pool.recoverBatch(jobs);
      expect(results.some((r) => !r.ok && r.error.code === 'PUSH_ERR_INTERNAL')).toBe(true);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('close() lets queued jobs finish, then refuses new ones', async () => {
    const pool = createVerifierPool({ threads: 1, maxBatch: 7 });
    const { jobs, expected } = makeJobs(300);
    const pending = pool.recoverBatch(jobs); // queued, not yet sent: the flush runs on the next turn
    const closed = pool.close();
    expect(pool.close()).toBe(closed);
    expect((await pending).map(outcome)).toEqual(expected);
    await closed;
    expect(pool.threads).toBe(0);
    await expect(pool.recover(jobs[0]!.digest, jobs[0]!.signature)).rejects.toMatchObject({
      code: 'PUSH_ERR_SHUTTING_DOWN',
    });
  });

  it('sends small flushes to one worker and spreads larger ones, losing no job either way', async () => {
    const pool = createVerifierPool({ threads: 2, minSplit: 8, maxBatch: 16 });
    try {
      await pool.ready();
      for (const n of [1, 7, 8, 9, 16, 17, 100]) {
        const { jobs, expected } = makeJobs(n);
        expect((await pool.recoverBatch(jobs)).map(outcome)).toEqual(expected);
      }
    } finally {
      await pool.close();
    }
  });

  it('refuses a bad configuration', () => {
    expect(() => createVerifierPool({ threads: -1 })).toThrow(
      expect.objectContaining({ code: 'PUSH_ERR_CONFIG_INVALID' }),
    );
    expect(() => createVerifierPool({ threads: 0, maxBatch: 0 })).toThrow(
      expect.objectContaining({ code: 'PUSH_ERR_CONFIG_INVALID' }),
    );
    expect(() => createVerifierPool({ threads: 0, minSplit: 0 })).toThrow(
      expect.objectContaining({ code: 'PUSH_ERR_CONFIG_INVALID' }),
    );
  });
});

// --- the compiled build: worker.js next to pool.js, no tsx ----------------------------------------------------------

describe('createVerifierPool from compiled JavaScript', () => {
  it('starts its workers from worker.js without tsx', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const src = resolve(here, '../..');
    const root = resolve(src, '..');
    const out = mkdtempSync(join(tmpdir(), 'push-verify-dist-'));
    try {
      // Transpile this folder (and the errors module it imports) the way tsc emits dist/: ESM .js beside each other.
      const files = [
        join(src, 'errors.ts'),
        ...readdirSync(here)
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
          .map((f) => join(here, f)),
      ];
      for (const file of files) {
        const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
          fileName: file,
        });
        const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, outputText);
      }
      writeFileSync(join(out, 'package.json'), '{"type":"module"}');
      symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
      const digest = randomBytes(32);
      const { signature, recid } = secp256k1.ecdsaSign(digest, KEYS[3]!);
      const script = `
        import { createVerifierPool } from './ingest/verify/pool.js';
        const pool = createVerifierPool({ threads: 2 });
        await pool.ready();
        if (pool.threads !== 2) throw new Error('expected 2 workers');
        const address = await pool.recover(${JSON.stringify(bytesToHex(digest))}, ${JSON.stringify(`${bytesToHex(signature)}${(27 + recid).toString(16)}`)});
        await pool.close();
        // A pool that is never closed must not keep node alive once idle: this process has to exit by itself.
        const idle = createVerifierPool({ threads: 1 });
        const again = await idle.recover(${JSON.stringify(bytesToHex(digest))}, ${JSON.stringify(`${bytesToHex(signature)}${(27 + recid).toString(16)}`)});
        console.log(JSON.stringify({ threads: 2, address, again }));
      `;
      writeFileSync(join(out, 'run.mjs'), script);
      const { stdout } = await promisify(execFile)(process.execPath, ['run.mjs'], {
        cwd: out,
        timeout: 20_000,
      });
      expect(JSON.parse(stdout)).toEqual({ threads: 2, address: ADDRESSES[3], again: ADDRESSES[3] });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
