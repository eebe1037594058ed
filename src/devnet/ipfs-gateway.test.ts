import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base58btc } from 'multiformats/bases/base58';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidOf, createIpfsGateway, createIpfsStore, type IpfsGateway } from './ipfs-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'push-ipfs-'));
let gateway: IpfsGateway;

beforeAll(async () => {
  gateway = await createIpfsGateway({ dir });
});

afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IPFS gateway stand-in', () => {
  it('names content by CIDv1 raw sha256 and serves exactly the stored bytes', async () => {
    const json = JSON.stringify({ name: 'Channel', info: 'about', url: 'https://x', icon: 'data:,' });
    const cid = await gateway.add(json);
    expect(cid).toMatch(/^bafkrei[a-z2-7]{52}$/);
    const parsed = CID.parse(cid);
    expect(parsed.version).toBe(1);
    expect(parsed.code).toBe(raw.code);
    expect(parsed.multihash.code).toBe(sha256.code);

    const res = await fetch(`${gateway.gatewayUrl}${cid}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes)).toBe(json);
    // The CID matches the served bytes (what the node checks).
    const digest = await sha256.digest(bytes);
    expect(CID.create(1, raw.code, digest).toString()).toBe(cid);
    expect(await cidOf(bytes)).toBe(cid);
  });

  it('serves binary content, answers HEAD, and accepts other string forms of the same CID', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252]);
    const cid = await gateway.add(bytes);
    const res = await fetch(`${gateway.gatewayUrl}${cid}`);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    const head = await fetch(`${gateway.gatewayUrl}${cid}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    const base58 = CID.parse(cid).toString(base58btc);
    expect(base58.startsWith('z')).toBe(true);
    expect(new Uint8Array(await (await fetch(`${gateway.gatewayUrl}${base58}`)).arrayBuffer())).toEqual(
      bytes,
    );
  });

  it('answers 404 for an unknown CID, 400 for a non-CID, 405 for writes', async () => {
    const unknown = await cidOf('never stored');
    expect((await fetch(`${gateway.gatewayUrl}${unknown}`)).status).toBe(404);
    expect((await fetch(`${gateway.gatewayUrl}not-a-cid`)).status).toBe(400);
    expect((await fetch(`${gateway.url}/other/path`)).status).toBe(404);
    expect((await fetch(`${gateway.gatewayUrl}${unknown}`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('shares its directory with other stores (e.g. a CLI process adding while the devnet serves)', async () => {
    const other = createIpfsStore({ dir });
    const cid = await other.add('added elsewhere');
    const res = await fetch(`${gateway.gatewayUrl}${cid}`);
    expect(await res.text()).toBe('added elsewhere');
    expect(await gateway.get(cid)).toEqual(new TextEncoder().encode('added elsewhere'));
  });
});
