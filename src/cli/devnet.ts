import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Hex } from 'viem';
import { DEFAULT_DATA_DIR, loadConfig } from '../config/load.js';
import type { ConfigFile } from '../config/schema.js';
import { isPortInUse } from '../devnet/free-port.js';
import type { Devnet } from '../devnet/index.js';
import {
  createDevnetChannel,
  createIpfsGateway,
  createIpfsStore,
  seedDevnet,
  startDevnet,
} from '../devnet/index.js';
import { pushError } from '../errors.js';
import { createNode } from '../node.js';
import { createLogger } from '../observability/logger.js';

/** What a running devnet writes for `push-node devnet channel create` and for humans. */
interface DevnetInfo {
  node: string;
  ipfsDir: string;
  ipfsGateway: string;
  chains: Devnet['chains'];
}

const DEVNET_BLOCK_TIME_MS = 1000;

async function rpcCall(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error)
    throw pushError('PUSH_ERR_DEVNET_START', `${method} failed on ${url}: ${body.error.message}`);
  return body.result;
}

const infoPath = (dataDir: string) => join(dataDir, 'devnet', 'devnet.json');

function parsePorts(value: string): [number, number] {
  const ports = value.split(',').map((p) => Number(p.trim()));
  if (ports.length !== 2 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `--chain-ports "${value}" must be two ports, e.g. 8545,8546`, {
      field: '--chain-ports',
    });
  }
  return ports as [number, number];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port < 1 || port > 65535) {
    // Not 0 either: the node's public URL (written into stored icon links) must name the port it listens on.
    throw pushError(
      'PUSH_ERR_CONFIG_INVALID',
      `--port "${value}" must be a port from 1 to 65535, e.g. 4000`,
      {
        field: '--port',
      },
    );
  }
  return port;
}

const isDefaultDataDir = (dataDir: string) => resolve(dataDir) === resolve(DEFAULT_DATA_DIR);

/** Shell-quotes a path when it needs it. */
const shellArg = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** The command that creates a channel on this devnet: it must name the data dir when it is not the default one. */
export function channelCreateCommand(dataDir: string): string {
  const dirArg = isDefaultDataDir(dataDir) ? '' : ` --data-dir ${shellArg(resolve(dataDir))}`;
  return `npx push-node devnet channel create${dirArg} --key <private key> --name "My dApp"`;
}

export function summary(
  info: DevnetInfo,
  devnet: Pick<Devnet, 'accounts'>,
  seeded: string[],
  dataDir: string,
): string {
  const lines = [
    '',
    'Push Node devnet is up. Ctrl-C stops everything.',
    '',
    `  node (REST + socket.io)  ${info.node}   (the SDK's ENV.LOCAL expects http://localhost:4000)`,
    `  dashboard                ${info.node}/`,
    `  health                   ${info.node}/apis/v1/health`,
    `  IPFS gateway             ${info.ipfsGateway}`,
  ];
  for (const c of info.chains) {
    lines.push(
      `  chain ${String(c.chainId).padEnd(9)} ${c.role.padEnd(5)}  ${c.rpcUrl}  (ws ${c.wsUrl})`,
      `      ${c.core ? `Core ${c.core}  ` : ''}Comm ${c.comm}`,
    );
  }
  lines.push('', '  funded test accounts (hardhat defaults; never use these keys on a real network):');
  for (const a of devnet.accounts.slice(0, 11)) {
    lines.push(`    #${String(a.index).padEnd(2)} ${a.address}  ${a.privateKey}`);
  }
  if (seeded.length) lines.push('', '  demo channels:', ...seeded.map((s) => `    ${s}`));
  lines.push('', `  make your own channel:  ${channelCreateCommand(dataDir)}`, '');
  return lines.join('\n');
}

/** True when a node answers health at `url` (a devnet started from the same data dir is still running). */
async function nodeAnswers(url: string): Promise<boolean> {
  try {
    // The record says localhost (for humans); the node listens on 127.0.0.1, which `localhost` may not resolve to first.
    const base = url.replace(/\/+$/, '').replace('//localhost:', '//127.0.0.1:');
    const res = await fetch(`${base}/apis/v1/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Refuses to start (before anything is deleted) when another devnet looks alive: one of our ports is taken, or the
 * devnet recorded in this data dir still answers. Starting would otherwise wipe the data a running devnet uses.
 */
async function refuseIfDevnetRunning(
  dataDir: string,
  nodePort: number,
  chainPorts: [number, number],
): Promise<void> {
  const wanted = [
    ...(nodePort > 0 ? [{ port: nodePort, option: '--port' }] : []),
    ...chainPorts.map((port) => ({ port, option: '--chain-ports' })),
  ];
  const busy: typeof wanted = [];
  for (const w of wanted) if (await isPortInUse(w.port)) busy.push(w);
  if (busy.length) {
    const ports = busy.map((b) => b.port);
    throw pushError(
      'PUSH_ERR_DEVNET_START',
      `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} already in use on 127.0.0.1 (nothing was started or deleted)`,
      {
        field: [...new Set(busy.map((b) => b.option))].join(', '),
        hint:
          'another devnet may be running: stop it (Ctrl-C in its terminal), or run this one on other ports with ' +
          '`--port <node port> --chain-ports <core port>,<alias port>` and its own `--data-dir <dir>`',
        details: { ports },
      },
    );
  }
  let recorded: DevnetInfo | undefined;
  try {
    recorded = JSON.parse(readFileSync(infoPath(dataDir), 'utf8')) as DevnetInfo;
  } catch {
    // No devnet ran from this data dir, or it left no readable record: nothing to protect.
  }
  if (recorded?.node && (await nodeAnswers(recorded.node))) {
    throw pushError(
      'PUSH_ERR_DEVNET_START',
      `a devnet using ${join(dataDir, 'devnet')} is still running (its node answers at ${recorded.node}); nothing was deleted`,
      {
        field: '--data-dir',
        hint: 'stop it first (Ctrl-C in its terminal), or give this one its own `--data-dir <dir>`',
      },
    );
  }
}

/** Is process `pid` alive (signal 0 only checks)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/devnet.lock` (created exclusively, holding our pid) before anything else: two devnets started at
 * once on one data dir cannot both pass the other checks and then delete each other's files. A lock whose process is
 * gone (killed) is taken over. Returns its release.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'devnet.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
        throw pushError(
          'PUSH_ERR_DEVNET_START',
          `a devnet (pid ${holder}) is using ${dataDir}; nothing was started or deleted`,
          {
            field: '--data-dir',
            hint: 'stop it first (Ctrl-C in its terminal), or give this one its own `--data-dir <dir>`',
          },
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw pushError('PUSH_ERR_DEVNET_START', `could not lock ${path}`, { field: '--data-dir' });
}

async function runDevnet(opts: {
  port: string;
  chainPorts: string;
  seed: boolean;
  dataDir?: string;
}): Promise<void> {
  const dataDir = resolve(opts.dataDir ?? process.env.PUSH_NODE_DATA_DIR ?? DEFAULT_DATA_DIR);
  const devnetDir = join(dataDir, 'devnet');
  const nodePort = parsePort(opts.port);
  const chainPorts = parsePorts(opts.chainPorts);
  const unlock = lockDataDir(dataDir);
  try {
    await refuseIfDevnetRunning(dataDir, nodePort, chainPorts);
  } catch (err) {
    unlock();
    throw err;
  }
  const logger = createLogger((process.env.PUSH_NODE_LOG_LEVEL as 'info' | undefined) ?? 'warn');

  const cleanups: (() => Promise<unknown>)[] = [async () => unlock()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    // The chains come first: a running chain holds its port, so once ours are up no other devnet on these ports is
    // alive, and only then is the data dir cleared (a port taken meanwhile fails here, before anything is deleted).
    // Automine (one block per transaction) makes seeding fast; interval mining afterwards keeps the heads moving
    // like a real chain, so finality advances and the node's health reflects reality.
    const devnet = await startDevnet({ ports: chainPorts, logger });
    cleanups.push(() => devnet.stop());
    // The chains start from genesis every time, so the node's store must too.
    rmSync(devnetDir, { recursive: true, force: true });
    mkdirSync(join(devnetDir, 'ipfs'), { recursive: true });
    const gateway = await createIpfsGateway({ dir: join(devnetDir, 'ipfs') });
    cleanups.push(() => gateway.close());
    const seeded = opts.seed ? await seedDevnet(devnet, { ipfs: gateway, logger }) : null;
    await Promise.all(
      devnet.chains.map((c) => rpcCall(c.rpcUrl, 'evm_setIntervalMining', [DEVNET_BLOCK_TIME_MS])),
    );

    const overrides: ConfigFile = {
      network: 'local',
      port: nodePort,
      // What wallets and the SDK use (ENV.LOCAL is http://localhost:4000): icon links in feeds point here.
      publicUrl: `http://localhost:${nodePort}`,
      dataDir: join(devnetDir, 'node'),
      ipfs: { gateways: [gateway.gatewayUrl] },
      chains: devnet.chains.map((c) => ({
        chainId: c.chainId,
        rpcUrls: [c.rpcUrl],
        wsUrls: [c.wsUrl],
        comm: c.comm,
        ...(c.core ? { core: c.core } : {}),
        startBlock: c.startBlock,
        finalityDepth: 2,
        blockTimeMs: DEVNET_BLOCK_TIME_MS,
      })),
    };
    mkdirSync(join(devnetDir, 'node'), { recursive: true });
    const config = loadConfig({ overrides });
    const node = await createNode(config, { logger });
    cleanups.push(() => node.stop());
    await node.start();

    const info: DevnetInfo = {
      node: node.url.replace('127.0.0.1', 'localhost'),
      ipfsDir: join(devnetDir, 'ipfs'),
      ipfsGateway: gateway.gatewayUrl,
      chains: devnet.chains,
    };
    writeFileSync(infoPath(dataDir), JSON.stringify(info, null, 2));
    const channels = (seeded?.channels ?? []).map(
      (c) =>
        `${c.metadata.name.padEnd(14)} ${c.caip}  owner #${c.ownerIndex}${c.alias ? `  alias ${c.alias.caip}` : ''}`,
    );
    process.stdout.write(`${summary(info, devnet, channels, dataDir)}\n`);
  } catch (err) {
    await cleanup();
    throw err;
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping devnet…\n');
    cleanup().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function createChannel(opts: {
  key: string;
  name: string;
  info: string;
  url: string;
  dataDir?: string;
}): Promise<void> {
  const dataDir = resolve(opts.dataDir ?? process.env.PUSH_NODE_DATA_DIR ?? DEFAULT_DATA_DIR);
  let info: DevnetInfo;
  try {
    info = JSON.parse(readFileSync(infoPath(dataDir), 'utf8')) as DevnetInfo;
  } catch {
    throw pushError(
      'PUSH_ERR_NODE_UNREACHABLE',
      `no running devnet found (${infoPath(dataDir)} is missing)`,
      {
        hint: 'start it first with `npm run devnet` in another terminal (give both the same --data-dir)',
      },
    );
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(opts.key)) {
    throw pushError('PUSH_ERR_VALIDATION', '--key must be a 0x-prefixed 32-byte private key', {
      field: '--key',
    });
  }
  const core = info.chains.find((c) => c.role === 'core')!;
  const channel = await createDevnetChannel({
    rpcUrl: core.rpcUrl,
    privateKey: opts.key as Hex,
    name: opts.name,
    info: opts.info,
    url: opts.url,
    ipfs: createIpfsStore({ dir: info.ipfsDir }),
  });
  process.stdout.write(
    `created channel "${opts.name}" ${channel.caip}\n  identity ${channel.identity}\n  tx ${channel.txHash} (block ${channel.blockNumber})\n`,
  );
}

/** `push-node devnet` (chains + contracts + demo data + node) and `push-node devnet channel create`. */
export function registerDevnetCommand(program: Command, fail: (err: unknown) => never): void {
  const devnet = program
    .command('devnet')
    .description(
      'run a local devnet: two hardhat chains with Push contracts at the SDK addresses, demo data, and a node',
    )
    .option('-p, --port <port>', 'node HTTP port (the SDK ENV.LOCAL uses 4000)', '4000')
    .option(
      '--chain-ports <core,alias>',
      'JSON-RPC ports of the core (11155111) and alias (80002) chains',
      '8545,8546',
    )
    .option('--no-seed', 'do not create demo channels')
    .option('--data-dir <dir>', 'where devnet state goes (wiped at start)')
    .action((opts) => runDevnet(opts).catch(fail));
  devnet
    .command('channel')
    .description('channels on a running devnet')
    .command('create')
    .description(
      'create a channel on the running devnet (metadata to its IPFS stand-in, then PushCore.createChannel)',
    )
    .requiredOption(
      '-k, --key <privateKey>',
      "the channel owner's private key (e.g. a funded devnet account)",
    )
    .requiredOption('-n, --name <name>', 'channel name')
    .option('--info <text>', 'channel description', 'A channel on the Push Node devnet')
    .option('--url <url>', 'channel website', 'https://example.org')
    .option('--data-dir <dir>', 'the devnet data dir')
    // `devnet` has a --data-dir too and claims it wherever it stands: read this command's and its parents' options.
    .action((opts, cmd: Command) =>
      createChannel({ ...opts, dataDir: opts.dataDir ?? cmd.optsWithGlobals().dataDir }).catch(fail),
    );
}
