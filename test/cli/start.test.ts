import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killStrayClis, runCli, spawnCli, waitForLog } from '../support/cli.js';
import { testTempDirs } from '../support/temp-dir.js';

const tempDirs = testTempDirs('push-cli-');
const tempDir = () => tempDirs.make();

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
});
