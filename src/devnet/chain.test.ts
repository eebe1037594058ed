import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createPublicClient, webSocket } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../package-root.js';
import { devnetAccounts } from './accounts.js';
import { type DevChain, startChain } from './chain.js';
import { findFreePort } from './free-port.js';

const tmp = mkdtempSync(join(tmpdir(), 'push-chain-'));
const started: DevChain[] = [];

afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
  rmSync(tmp, { recursive: true, force: true });
});

/** pids of live processes in a process group, from `ps` (what an operator would look at). */
function groupMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

describe('startChain', () => {
  it('serves the chain id over HTTP and WebSocket on one port, refuses a taken port, stops without a trace', async () => {
    const port = await findFreePort();
    const chain = await startChain({ chainId: 80002, port });
    started.push(chain);
    expect(chain).toMatchObject({ chainId: 80002, port, rpcUrl: `http://127.0.0.1:${port}` });
    expect(groupMembers(chain.pid)).toContain(chain.pid);

    const ws = createPublicClient({ transport: webSocket(chain.wsUrl) });
    expect(await ws.getChainId()).toBe(80002);
    // The configured mnemonic's accounts are funded.
    const balance = await ws.getBalance({ address: devnetAccounts()[19]!.address });
    expect(balance).toBeGreaterThan(0n);
    await ws.transport.getRpcClient().then((c) => c.close());

    // A taken port is refused instead of talking to whatever listens there.
    await expect(startChain({ chainId: 11155111, port })).rejects.toMatchObject({
      code: 'PUSH_ERR_DEVNET_START',
      field: 'port',
    });

    await chain.stop();
    await chain.stop(); // idempotent
    expect(groupMembers(chain.pid)).toEqual([]);
    expect(await answers(chain.rpcUrl)).toBe(false);
  });

  it('refuses a taken port with a hint an operator of `push-node devnet` can follow', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startChain({ chainId: 80002, port }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PUSH_ERR_DEVNET_START', field: 'port' });
      const { hint } = err as { hint: string };
      // The CLI always passes ports (--chain-ports has a default): "omit the port" is no advice there.
      expect(hint).toContain('another devnet may be running');
      expect(hint).toContain('--chain-ports');
      expect(hint).toContain('--port');
    } finally {
      blocker.close();
    }
  });

  it('takes the node down when the parent process dies without cleaning up (SIGKILL)', async () => {
    const script = join(tmp, 'parent.mts');
    const chainModule = join(fileURLToPath(new URL('.', import.meta.url)), 'chain.ts');
    writeFileSync(
      script,
      [
        `import { startChain } from ${JSON.stringify(chainModule)};`,
        'const chain = await startChain({ chainId: 80002 });',
        'console.log(JSON.stringify({ pid: chain.pid, rpcUrl: chain.rpcUrl }));',
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout! }).once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    const { pid, rpcUrl } = JSON.parse(first) as { pid: number; rpcUrl: string };
    expect(await answers(rpcUrl)).toBe(true);

    parent.kill('SIGKILL');
    expect(await waitFor(() => groupMembers(pid).length === 0, 15_000)).toBe(true);
    expect(await answers(rpcUrl)).toBe(false);
  });
});
