import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { channelCreateCommand, summary } from '../../src/cli/devnet.js';
import { DEFAULT_DATA_DIR } from '../../src/config/load.js';
import { findFreePort } from '../../src/devnet/free-port.js';
import { type CliResult, killStrayClis, runCli, spawnCli } from '../support/cli.js';
import { testTempDirs } from '../support/temp-dir.js';

const tempDirs = testTempDirs('push-cli-devnet-');
const servers: { close(): unknown }[] = [];

afterEach(() => {
  killStrayClis();
  for (const s of servers.splice(0)) s.close();
  tempDirs.removeAll();
});

async function blockPort(): Promise<number> {
  const server: Server = createServer().listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return (server.address() as { port: number }).port;
}

/** Runs the CLI; a run that has not ended after `ms` (a devnet that started instead of refusing) is killed. */
function runCliWithin(args: string[], cwd: string, ms: number): Promise<CliResult & { killed: boolean }> {
  return new Promise((done) => {
    const child = spawnCli(args, { PUSH_NODE_LOG_LEVEL: 'warn' }, cwd);
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGTERM');
    }, ms);
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, killed });
    });
  });
}

/** A data dir holding a (pretend) running devnet's files. */
function devnetDataDir(): { dataDir: string; marker: string } {
  const dataDir = tempDirs.make();
  mkdirSync(join(dataDir, 'devnet', 'node'), { recursive: true });
  const marker = join(dataDir, 'devnet', 'node', 'push-node.sqlite');
  writeFileSync(marker, 'the first devnet is using this');
  return { dataDir, marker };
}

describe('push-node devnet when another devnet runs', { timeout: 120_000 }, () => {
  it('refuses busy chain ports without deleting the data dir, naming the CLI options', async () => {
    const { dataDir, marker } = devnetDataDir();
    const busy = await blockPort();
    const [nodePort, alias] = [await findFreePort(), await findFreePort()];
    const res = await runCliWithin(
      [
        'devnet',
        '--no-seed',
        '--data-dir',
        dataDir,
        '--port',
        String(nodePort),
        '--chain-ports',
        `${busy},${alias}`,
      ],
      tempDirs.make(),
      60_000,
    );
    // The first devnet's data is still there (it used to be wiped before the chains failed to start).
    expect(existsSync(marker)).toBe(true);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('PUSH_ERR_DEVNET_START');
    expect(res.stderr).toContain(String(busy));
    expect(res.stderr).toContain('another devnet may be running');
    expect(res.stderr).toContain('--chain-ports');
    expect(res.stderr).not.toContain('omit the port');
  });

  it('refuses a busy node port before it starts the chains or deletes anything', async () => {
    const { dataDir, marker } = devnetDataDir();
    const busy = await blockPort();
    const [core, alias] = [await findFreePort(), await findFreePort()];
    const res = await runCliWithin(
      [
        'devnet',
        '--no-seed',
        '--data-dir',
        dataDir,
        '--port',
        String(busy),
        '--chain-ports',
        `${core},${alias}`,
      ],
      tempDirs.make(),
      60_000,
    );
    expect(existsSync(marker)).toBe(true);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`PUSH_ERR_DEVNET_START: port ${busy} already in use`);
    expect(res.stderr).toContain('--port');
  });

  it('refuses a data dir whose recorded devnet still answers, even on other ports', async () => {
    const { dataDir, marker } = devnetDataDir();
    const running = createHttpServer((req, res) => {
      res.statusCode = req.url === '/apis/v1/health' ? 200 : 404;
      res.end('{}');
    }).listen(0, '127.0.0.1');
    servers.push(running);
    await new Promise((r) => running.once('listening', r));
    const runningPort = (running.address() as { port: number }).port;
    writeFileSync(
      join(dataDir, 'devnet', 'devnet.json'),
      JSON.stringify({ node: `http://localhost:${runningPort}`, ipfsDir: '', ipfsGateway: '', chains: [] }),
    );
    const ports = [await findFreePort(), await findFreePort(), await findFreePort()];
    const res = await runCliWithin(
      [
        'devnet',
        '--no-seed',
        '--data-dir',
        dataDir,
        '--port',
        String(ports[0]),
        '--chain-ports',
        `${ports[1]},${ports[2]}`,
      ],
      tempDirs.make(),
      30_000,
    );
    expect(existsSync(marker)).toBe(true);
    expect(res.killed).toBe(false);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('PUSH_ERR_DEVNET_START');
    expect(res.stderr).toContain('is still running');
    expect(res.stderr).toContain('--data-dir');
  });
});

describe('push-node devnet channel create', { timeout: 60_000 }, () => {
  it.each([
    ['after the subcommand', (dir: string) => ['devnet', 'channel', 'create', '--data-dir', dir]],
    ['before the subcommand', (dir: string) => ['devnet', '--data-dir', dir, 'channel', 'create']],
  ])('reads the devnet of --data-dir given %s', async (_, args) => {
    const dataDir = tempDirs.make();
    mkdirSync(join(dataDir, 'devnet'), { recursive: true });
    writeFileSync(
      join(dataDir, 'devnet', 'devnet.json'),
      JSON.stringify({ node: 'http://localhost:1', ipfsDir: dataDir, ipfsGateway: '', chains: [] }),
    );
    // A bad key fails right after the devnet record is read: reaching that check proves the record was found.
    const res = await runCliWithin(
      [...args(dataDir), '--key', '0x12', '--name', 'x'],
      tempDirs.make(),
      30_000,
    );
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain('no running devnet found');
    expect(res.stderr).toContain('PUSH_ERR_VALIDATION: --key must be');
  });
});

describe('push-node devnet options', { timeout: 60_000 }, () => {
  it('refuses --port 0: the public URL written into stored icon links must name the real port', async () => {
    const res = await runCli(['devnet', '--port', '0', '--data-dir', tempDirs.make()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('PUSH_ERR_CONFIG_INVALID');
    expect(res.stderr).toContain('must be a port from 1 to 65535');
  });
});

describe('the devnet summary', () => {
  const info = {
    node: 'http://localhost:4000',
    ipfsDir: '/x',
    ipfsGateway: 'http://127.0.0.1:1',
    chains: [],
  };

  it('points at the dashboard and the health route of the node', () => {
    const text = summary(info, { accounts: [] }, [], resolve(DEFAULT_DATA_DIR));
    expect(text).toContain(`dashboard                ${info.node}/`);
    expect(text).toContain(`health                   ${info.node}/apis/v1/health`);
  });

  it('names --data-dir in the "make your own channel" command when the data dir is not the default', () => {
    const dir = tempDirs.make();
    expect(summary(info, { accounts: [] }, [], dir)).toContain(
      `make your own channel:  npx push-node devnet channel create --data-dir ${dir} --key`,
    );
    expect(channelCreateCommand('/tmp/my devnet')).toContain(`--data-dir '/tmp/my devnet' --key`);
    expect(summary(info, { accounts: [] }, [], resolve(DEFAULT_DATA_DIR))).toContain(
      'make your own channel:  npx push-node devnet channel create --key <private key> --name "My dApp"',
    );
  });
});
