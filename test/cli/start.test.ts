import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/devnet/free-port.js';
import { LATEST_MIGRATION } from '../../src/store/migrations/index.js';
import { killStrayClis, runCli, spawnCli, waitForLog } from '../support/cli.js';
import { testTempDirs } from '../support/temp-dir.js';

const tempDirs = testTempDirs('push-cli-');
const tempDir = () => tempDirs.make();

/** The JSON log lines a CLI printed until `done(lines)` holds (or the timeout passes). */
function collectLogs(
  child: ChildProcess,
  done: (lines: Record<string, unknown>[]) => boolean,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve) => {
    let buf = '';
    const lines: Record<string, unknown>[] = [];
    const finish = () => {
      clearTimeout(timer);
      resolve(lines);
    };
    const timer = setTimeout(finish, timeoutMs);
    child.stdout!.on('data', (d) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
      if (done(lines)) finish();
    });
    child.once('exit', finish);
  });
}

// One hook, so the directories go only after any CLI still running in them is killed.
afterEach(() => {
  killStrayClis();
  tempDirs.removeAll();
});

describe('push-node start', { timeout: 90_000 }, () => {
  it('serves /status, /apis/v1/health and /metrics, then stops cleanly on SIGTERM', async () => {
    const cwd = tempDir();
    const child = spawnCli(['start'], { PUSH_NODE_PORT: '0' }, cwd);
    const listening = await waitForLog(child, 'push node listening');
    const url = listening.url as string;

    const status = await fetch(`${url}/status`);
    expect(status.status).toBe(200);
    const health = (await (await fetch(`${url}/apis/v1/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', store: { backend: 'sqlite' } });
    expect((health.store as { location: string }).location).toBe(join(cwd, '.push-node', 'push-node.sqlite'));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('push_node_up 1');
    expect(metrics).toContain('push_node_http_requests_total{method="GET",route="/status",status="200"} 1');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses a port in use with one clear line', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await runCli(['start'], { PUSH_NODE_PORT: String(port) }, tempDir());
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toContain(`PUSH_ERR_PORT_IN_USE: port ${port} on 127.0.0.1 is already in use`);
      // The node never started, so it did not "stop": the log says the start failed.
      expect(res.stdout).not.toContain('push node stopped');
      expect(res.stdout).toContain('push node start failed');
    } finally {
      blocker.close();
    }
  });

  it.each([
    [
      { PUSH_NODE_DATA_DIR: '/nonexistent/push-data' },
      'PUSH_ERR_DATA_DIR: the data dir /nonexistent/push-data does not exist',
    ],
    [{ PUSH_NODE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }, 'PUSH_ERR_DB_UNREACHABLE'],
    [
      { PUSH_NODE_NETWORK: 'moon' },
      'PUSH_ERR_CONFIG_INVALID: environment (PUSH_NODE_*): network must be one of',
    ],
    [{ PUSH_NODE_CONFIG: '/nonexistent.yaml' }, 'PUSH_ERR_CONFIG_FILE'],
  ])('ends a bad start with one line and a non-zero exit (%o)', async (env, expected) => {
    const res = await runCli(['start'], { PUSH_NODE_PORT: '0', ...env }, tempDir());
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(expected);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('shutdown while starting', { timeout: 90_000 }, () => {
  it('stops gracefully on SIGINT while a chain RPC that is down keeps start() waiting', async () => {
    const child = spawnCli(
      ['start'],
      { PUSH_NODE_PORT: '0', PUSH_NODE_RPC_11155111: 'http://127.0.0.1:9' },
      tempDir(),
    );
    await collectLogs(child, (l) => l.some((x) => x.msg === 'chain indexer starting'));
    const exited = once(child, 'exit');
    const rest = collectLogs(child, (l) => l.some((x) => x.msg === 'push node stopped'));
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect((await rest).map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down', 'push node stopped']),
    );
  });
});

describe('start-up warnings', { timeout: 90_000 }, () => {
  it('names each preset chain left out and the variable that enables it, and a wildcard host without publicUrl', async () => {
    const child = spawnCli(['start'], { PUSH_NODE_PORT: '0', PUSH_NODE_HOST: '0.0.0.0' }, tempDir());
    const warns = (lines: Record<string, unknown>[]) => lines.filter((l) => l.level === 40);
    const lines = await collectLogs(child, (l) => warns(l).length >= 3);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const messages = warns(lines).map((l) => String(l.msg));
    for (const chainId of [11155111, 80002]) {
      const line = messages.filter((m) => m.startsWith(`chain ${chainId} `));
      expect(line, messages.join('\n')).toHaveLength(1);
      expect(line[0]).toContain('is not indexed');
      expect(line[0]).toContain(`PUSH_NODE_RPC_${chainId}`);
    }
    const wildcard = messages.filter((m) => m.includes('publicUrl'));
    expect(wildcard, messages.join('\n')).toHaveLength(1);
    expect(wildcard[0]).toContain('0.0.0.0');
    expect(wildcard[0]).toContain('PUSH_NODE_PUBLIC_URL');
    expect(wildcard[0]).toContain('127.0.0.1');
  });

  it('says nothing about publicUrl when it is set', async () => {
    const child = spawnCli(
      ['start'],
      { PUSH_NODE_PORT: '0', PUSH_NODE_HOST: '0.0.0.0', PUSH_NODE_PUBLIC_URL: 'https://push.example' },
      tempDir(),
    );
    const lines = await collectLogs(child, (l) => l.filter((x) => x.level === 40).length >= 2);
    // The chain warnings come right after "push node listening"; give a wildcard warning the same chance.
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(lines.some((l) => l.msg === 'push node listening')).toBe(true);
    expect(lines.filter((l) => String(l.msg).includes('publicUrl'))).toEqual([]);
  });
});

describe('push-node status uses the node config', { timeout: 90_000 }, () => {
  it('finds the node at PUSH_NODE_PORT or the --config port without --url', async () => {
    const port = await findFreePort();
    const cwd = tempDir();
    const child = spawnCli(['start'], { PUSH_NODE_PORT: String(port) }, cwd);
    try {
      await waitForLog(child, 'push node listening');
      const byEnv = await runCli(['status'], { PUSH_NODE_PORT: String(port) }, cwd);
      expect(byEnv.stderr).toBe('');
      expect(byEnv.code).toBe(0);
      expect(byEnv.stdout).toContain(`at http://127.0.0.1:${port}: ok`);
      const file = join(cwd, 'node.yaml');
      writeFileSync(file, `host: 0.0.0.0\nport: ${port}\n`);
      const byFile = await runCli(['status', '--config', file], {}, cwd);
      expect(byFile.code).toBe(0);
      expect(byFile.stdout).toContain(`at http://127.0.0.1:${port}: ok`);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const down = await runCli(['status'], { PUSH_NODE_PORT: String(port) }, cwd);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`PUSH_ERR_NODE_UNREACHABLE: no node answers at http://127.0.0.1:${port}`);
  });
});

describe('push-node migrate', { timeout: 90_000 }, () => {
  it('names the migrations it applied, then says the store is already at the latest', async () => {
    const cwd = tempDir();
    const first = await runCli(['migrate'], {}, cwd);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied');
    expect(first.stdout).toContain('001-initial');
    expect(first.stdout).toContain(LATEST_MIGRATION);
    const second = await runCli(['migrate'], {}, cwd);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`already at ${LATEST_MIGRATION}`);
    expect(second.stdout).not.toContain('001-initial');
  });
});

describe('push-node status', { timeout: 90_000 }, () => {
  it('prints the health of a running node, and a clear line when none answers', async () => {
    const child = spawnCli(['start'], { PUSH_NODE_PORT: '0' }, tempDir());
    try {
      const { url } = (await waitForLog(child, 'push node listening')) as { url: string };
      const res = await runCli(['status', '--url', url]);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^push-node \d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+: ok/);
      expect(res.stdout).toContain('store    sqlite');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const down = await runCli(['status', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('PUSH_ERR_NODE_UNREACHABLE');
  });

  it('exits 2 while the node is degraded (a chain whose RPC is down)', async () => {
    const child = spawnCli(
      ['start'],
      { PUSH_NODE_PORT: '0', PUSH_NODE_RPC_11155111: 'http://127.0.0.1:9' },
      tempDir(),
    );
    try {
      const { url } = (await waitForLog(child, 'push node listening')) as { url: string };
      let res = await runCli(['status', '--url', url]);
      for (let i = 0; i < 40 && res.code !== 2; i++) {
        await new Promise((r) => setTimeout(r, 250));
        res = await runCli(['status', '--url', url]);
      }
      expect(res.code).toBe(2);
      expect(res.stdout).toContain('degraded');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
