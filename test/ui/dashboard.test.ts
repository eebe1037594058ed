/**
 * The dashboard at GET /, in headless Chromium against a whole node (createNode) that indexes a hardhat core chain and
 * admits its data through the real doors (POST subscribe and payloads): header, chains, channels and a channel's
 * notifications, inbox and spam lookups, the node's errors, and user content shown as text. Plus plain HTTP checks of
 * the static routes (types, caching, allow-list, 404 shape).
 */

import type { Browser, Page } from 'playwright-core';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevChain, startChain } from '../../src/devnet/index.js';
import type { PushNode } from '../../src/node.js';
import { VERSION } from '../../src/version.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel, signData } from '../admission/support.js';
import { until } from '../api/fixtures.js';
import { testTempDirs } from '../support/temp-dir.js';
import { launchChromium, startIndexingNode } from './support.js';

const CH = 1;
const OTHER_CH = 2;
const READER = 11;
const STRANGER = 12;
const XSS_TITLE = '<img src=x onerror="window.__pwned=1">';
const XSS_BODY = '<script>window.__pwned=2</script><b>bold?</b>';
const checksum = (n: number) => getAddress(addr(n));
const caip = (n: number) => `eip155:${CORE_CHAIN_ID}:${checksum(n)}`;
/** A 1×1 transparent PNG: what the browser gets for a channel icon hosted elsewhere. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

const tempDirs = testTempDirs('push-node-ui-');
let chain: DevChain;
let node: PushNode;
let browser: Browser;

async function post(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.text()).toBe(204);
}

beforeAll(async () => {
  // A real chain mining a block every 500 ms: the node indexes it live and reports it healthy.
  chain = await startChain({ chainId: CORE_CHAIN_ID, blockTimeMs: 500 });
  node = await startIndexingNode(tempDirs.make(), chain.rpcUrl);
  await until(() => node.health().status === 'ok' && node.health().chains.length === 1, 15_000);

  await seedChannel(node.store.db, CH, { name: 'Dashboard <News>' });
  await seedChannel(node.store.db, OTHER_CH, { name: 'Quiet channel' });
  // READER opts in (signed, through the HTTP door); STRANGER does not.
  const message = JSON.stringify(
    { channel: checksum(CH), subscriber: checksum(READER), action: 'Subscribe', userSetting: '' },
    null,
    4,
  );
  const sig = await signData(READER, CORE_CHAIN_ID, message);
  await post(`/apis/v1/channels/${caip(CH)}/subscribe`, { verificationProof: `eip712v2:${sig}`, message });
  // A broadcast whose title and body are markup, and a targeted notification to a non-subscriber (spam).
  await post(
    '/apis/v1/payloads',
    await sdkSend(CH, CORE_CHAIN_ID, checksum(CH), { title: XSS_TITLE, body: XSS_BODY }),
  );
  await post(
    '/apis/v1/payloads',
    await sdkSend(CH, CORE_CHAIN_ID, checksum(CH), {
      type: 3,
      recipients: [caip(STRANGER)],
      title: 'For a stranger',
      body: 'unsolicited',
    }),
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await chain?.stop();
  tempDirs.removeAll();
});

/** A page on the node with requests to any other origin answered locally (recorded in `external`). */
async function openDashboard(opts: { fakeClock?: boolean } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  const external: string[] = [];
  const apiCalls: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (req) => {
    if (req.url().startsWith(`${node.url}/apis/`)) apiCalls.push(new URL(req.url()).pathname);
  });
  await context.route(
    (url) => url.origin !== node.url,
    (route) => {
      external.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'image/png', body: PNG });
    },
  );
  if (opts.fakeClock) await page.clock.install();
  await page.goto(`${node.url}/`);
  return { page, context, problems, external, apiCalls };
}

/** Makes the page believe its tab is hidden (or visible again) and tells it so, as a browser switching tabs would. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });
    document.dispatchEvent(new Event('visibilitychange'));`);

const rowTexts = (page: Page, selector: string) =>
  page
    .locator(selector)
    .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent?.trim())));

describe('dashboard in a browser', () => {
  it('shows the header, the chains and the channels; a channel’s notifications; inbox and spam; markup as text', async () => {
    const { page, context, problems, external } = await openDashboard();
    try {
      await expect(page.title()).resolves.toBe('Push Node');
      await page.locator('#node-status', { hasText: 'ok' }).waitFor();
      expect(await page.locator('#node-version').textContent()).toBe(VERSION);
      expect(await page.locator('#node-store').textContent()).toMatch(/^sqlite \(.*push-node\.sqlite\)$/);
      expect(await page.locator('#node-uptime').textContent()).toMatch(/^(\d+m )?\d+s$/);

      // Chains: the indexed core chain, live and healthy; the alias chain disabled with its reason.
      const chain = page.locator(`#chains tbody tr[data-chain-id="${CORE_CHAIN_ID}"]`);
      await chain.waitFor();
      const [cells] = await rowTexts(page, `#chains tbody tr[data-chain-id="${CORE_CHAIN_ID}"]`);
      expect(cells?.[0]).toBe('devnet-core');
      expect(cells?.[1]).toBe(String(CORE_CHAIN_ID));
      expect(cells?.[2]).toBe('live');
      expect(cells?.[3]).toMatch(/^\d+ \/ \d+$/);
      expect(cells?.[4]).toBe('yes');
      expect(await rowTexts(page, '#disabled-chains tbody tr')).toEqual([
        ['devnet-alias', '80002', expect.stringContaining('no RPC URL')],
      ]);

      // Channels: name (as text), address, verified, subscriber count; the icon fetched from its URL.
      await page.locator('#channels tbody tr[data-channel]').first().waitFor();
      const channels = await rowTexts(page, '#channels tbody tr');
      expect(channels).toContainEqual(['', 'Dashboard <News>', checksum(CH), 'no', '1']);
      expect(channels).toContainEqual(['', 'Quiet channel', checksum(OTHER_CH), 'no', '0']);
      await until(() => external.includes('https://channel.example/icon.png'));
      expect(await page.locator('#channels img').first().getAttribute('alt')).toBe('');

      // A channel's latest notifications.
      await page.getByRole('button', { name: 'Dashboard <News>' }).click();
      const notes = page.locator('#channel-notifications-table tbody tr[data-notif-id]');
      await expect.poll(() => notes.count()).toBe(2);
      expect(await page.locator('#channel-notifications-title').textContent()).toBe(
        'Latest notifications of Dashboard <News>',
      );
      const noteRows = await rowTexts(page, '#channel-notifications-table tbody tr');
      expect(noteRows.map((r) => r.slice(1))).toEqual([
        ['targeted', 'For a stranger', 'unsolicited'],
        ['broadcast', XSS_TITLE, XSS_BODY],
      ]);
      // The other channel sent nothing.
      await page.getByRole('button', { name: 'Quiet channel' }).click();
      await page.locator('#channel-notifications-table td.empty').waitFor();

      // The subscriber's inbox by bare address: the broadcast, its markup shown as text.
      await page.getByLabel(/^Address/).fill(checksum(READER));
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.locator('#box-inbox tbody tr[data-payload-id]').waitFor();
      const inbox = await rowTexts(page, '#box-inbox tbody tr');
      expect(inbox).toHaveLength(1);
      expect(inbox[0]?.slice(1)).toEqual([`Dashboard <News>${checksum(CH)}`, XSS_TITLE, XSS_BODY]);
      expect(await page.locator('#box-inbox-title').textContent()).toBe('Inbox (1)');
      expect(await page.locator('#box-spam-title').textContent()).toBe('Spam (0)');

      // The stranger's boxes by CAIP-10: the targeted notification is spam.
      await page.getByLabel(/^Address/).fill(caip(STRANGER));
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.locator('#box-spam-title', { hasText: 'Spam (1)' }).waitFor();
      expect((await rowTexts(page, '#box-spam tbody tr'))[0]?.slice(2)).toEqual([
        'For a stranger',
        'unsolicited',
      ]);
      expect(await page.locator('#box-inbox-title').textContent()).toBe('Inbox (0)');

      // Nothing the node returned became markup: no element from the titles, nothing ran, nothing loaded.
      expect(await page.locator('main img').count()).toBe(2); // the two channel icons, no more
      expect(await page.locator('main script, main b').count()).toBe(0);
      expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
      expect(external.every((u) => u === 'https://channel.example/icon.png')).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows the node’s error (info and code) for an address it refuses', async () => {
    const { page, context, problems } = await openDashboard();
    try {
      await page.getByLabel(/^Address/).fill('eip155:1:not-an-address');
      await page.getByRole('button', { name: 'Look up' }).click();
      const alert = page.locator('#inbox-error');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/ \(PUSH_ERR_INVALID_CAIP\)$/);
      expect(await alert.getAttribute('role')).toBe('alert');
      expect(await page.locator('#boxes').isHidden()).toBe(true);
      // The failed fetch itself is logged by Chromium; nothing else went wrong.
      expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refreshes the health every 5 s while visible, and pauses while the tab is hidden', async () => {
    const { page, context, apiCalls } = await openDashboard({ fakeClock: true });
    const healthCalls = () => apiCalls.filter((p) => p === '/apis/v1/health').length;
    try {
      await page.locator('#node-status', { hasText: 'ok' }).waitFor();
      expect(healthCalls()).toBe(1);
      await page.clock.runFor(5_100);
      await until(() => healthCalls() === 2);

      await setHidden(page, true);
      await page.clock.runFor(30_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(healthCalls()).toBe(2);

      await setHidden(page, false);
      await until(() => healthCalls() === 3);
    } finally {
      await context.close();
    }
  });
});

describe('dashboard over HTTP', () => {
  it('GET / is the page (text/html, no-cache, ETag revalidation, CSP) and does not shadow the node’s routes', async () => {
    const res = await fetch(`${node.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<title>Push Node</title>');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${node.url}/`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${node.url}/`, { method: 'HEAD' })).status).toBe(200);

    for (const [path, type] of [
      ['/ui/dashboard.js', 'text/javascript; charset=utf-8'],
      ['/ui/dashboard.css', 'text/css; charset=utf-8'],
    ] as const) {
      const r = await fetch(`${node.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toBe(type);
      expect(r.headers.get('cache-control'), path).toBe('no-cache');
    }

    expect((await fetch(`${node.url}/status`)).status).toBe(200);
    expect(((await (await fetch(`${node.url}/apis/v1/health`)).json()) as { status: string }).status).toBe(
      'ok',
    );
    expect((await fetch(`${node.url}/metrics`)).headers.get('content-type')).toContain('text/plain');
    expect((await fetch(`${node.url}/apis/docs`)).headers.get('content-type')).toContain('text/html');
  });

  it('answers a static path outside the allow-list 404 in the node’s error shape', async () => {
    for (const path of [
      '/ui/nope.js',
      '/ui/routes.ts',
      '/ui/index.html',
      '/ui/%2e%2e/package.json',
      '/ui/..%2f..%2fpackage.json',
      '/index.html',
      '/dashboard.js',
    ]) {
      const res = await fetch(`${node.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/json');
      const body = (await res.json()) as { error: { code: string; info: string } };
      expect(body.error.code, path).toBe('PUSH_ERR_NOT_FOUND');
      expect(body.error.info, path).toMatch(/^no route GET /);
    }
  });
});
