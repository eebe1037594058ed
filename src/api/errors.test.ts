import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pushError } from '../errors.js';
import { createMetrics } from '../observability/metrics.js';
import { createApiServer } from './server.js';

type Line = Record<string, unknown> & { level: number; msg: string };

/** The node's HTTP server with a route that throws `thrown`; its log lines (parsed JSON) are collected. */
async function answer(thrown: () => unknown) {
  const lines: Line[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const app = createApiServer({
    config: { api: { bodyLimitBytes: 1_000_000, corsOrigins: ['*'], trustProxy: false } } as never,
    logger: pino({ level: 'debug' }, dest),
    metrics: createMetrics(),
  });
  open.push(app);
  app.post('/apis/v2/users/', async () => {
    throw thrown();
  });
  const res = await app.inject({ method: 'POST', url: '/apis/v2/users/', payload: {} });
  return { res, lines };
}

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

const WARN = 40;
const ERROR = 50;
const INFO = 30;

describe('the HTTP error handler logs deliberate 5xx answers without a stack', () => {
  it('501 PUSH_ERR_UNSUPPORTED (PushAPI.initialize calls POST /apis/v2/users/): one info line, no stack', async () => {
    const { res, lines } = await answer(() =>
      pushError('PUSH_ERR_UNSUPPORTED', 'this node does not store Push chat profiles or PGP keys'),
    );
    expect(res.statusCode).toBe(501);
    expect(res.json().error.code).toBe('PUSH_ERR_UNSUPPORTED');
    // Before the fix: one error-level line with err.stack.
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: INFO,
      code: 'PUSH_ERR_UNSUPPORTED',
      status: 501,
      method: 'POST',
      url: '/apis/v2/users/',
    });
    expect(JSON.stringify(lines)).not.toContain('stack');
  });

  it.each([
    'PUSH_ERR_SHUTTING_DOWN',
    'PUSH_ERR_RPC_UNAVAILABLE',
    'PUSH_ERR_IPFS_UNAVAILABLE',
    'PUSH_ERR_SUBGRAPH_UNAVAILABLE',
  ] as const)('%s: one warn line with the code and reason, no stack', async (code) => {
    const { res, lines } = await answer(() => pushError(code, 'the dependency is away'));
    expect(res.statusCode).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: WARN, code, status: 503, reason: 'the dependency is away' });
    expect(JSON.stringify(lines)).not.toContain('stack');
  });
});

describe('the HTTP error handler keeps error level and the stack for unexpected errors', () => {
  it('a thrown non-PushError: 500 PUSH_ERR_INTERNAL, logged at error with its stack', async () => {
    const { res, lines } = await answer(() => new TypeError('cannot read properties of undefined'));
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toEqual({ info: 'Internal error', code: 'PUSH_ERR_INTERNAL' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(ERROR);
    expect((lines[0]!.err as { stack?: string }).stack).toContain('TypeError: cannot read properties');
  });

  it('a PushError PUSH_ERR_INTERNAL: logged at error with its stack', async () => {
    const { res, lines } = await answer(() => pushError('PUSH_ERR_INTERNAL', 'an invariant broke'));
    expect(res.statusCode).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(ERROR);
    expect((lines[0]!.err as { stack?: string }).stack).toContain('an invariant broke');
  });

  it('4xx answers are not logged', async () => {
    const { res, lines } = await answer(() => pushError('PUSH_ERR_VALIDATION', 'bad'));
    expect(res.statusCode).toBe(400);
    expect(lines).toEqual([]);
  });
});
