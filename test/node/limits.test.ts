import { afterEach, describe, expect, it } from 'vitest';
import type { PushNode } from '../../src/node.js';
import { testTempDirs } from '../support/temp-dir.js';
import { startTestNode } from './support.js';

/** Admission's rate limits come from the config file; behind a trusted proxy, the client IP is the forwarded one. */
const tempDirs = testTempDirs('push-node-limits-');
let node: PushNode | undefined;
afterEach(async () => {
  await node?.stop();
  node = undefined;
  tempDirs.removeAll();
});

/** A well-formed payload request from `ip` (as a proxy forwards it) that admission refuses (404: its sender is no channel). */
async function post(ip: string): Promise<{ status: number; retryAfter: string | null; code: string }> {
  const res = await fetch(`${node!.url}/apis/v1/payloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({
      verificationProof: `eip712v2:0x${'11'.repeat(65)}`,
      identity: '2+{}',
      sender: `eip155:11155111:0x${'22'.repeat(20)}`,
      recipient: `eip155:11155111:0x${'22'.repeat(20)}`,
      source: 'ETH_TEST_SEPOLIA',
    }),
  });
  const body = (await res.json()) as { error: { code: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error.code };
}

describe('admission limits from the config', () => {
  it('a per-IP bucket of 2 answers the third request from one client 429 with Retry-After, not another client', async () => {
    node = await startTestNode(
      tempDirs.make(),
      {},
      { admission: { perIp: { capacity: 2, refillPerSecond: 0.01 } }, api: { trustProxy: true } },
    );
    expect((await post('10.0.0.1')).status).toBe(404);
    expect((await post('10.0.0.1')).status).toBe(404);
    const third = await post('10.0.0.1');
    expect(third).toMatchObject({ status: 429, code: 'PUSH_ERR_RATE_LIMITED' });
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    expect((await post('10.0.0.2')).status).toBe(404);
  });
});
