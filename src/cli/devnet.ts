import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Hex } from 'viem';
import { DEFAULT_DATA_DIR, loadConfig } from '../config/load.js';
import type { ConfigFile } from '../config/schema.js';
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

function summary(info: DevnetInfo, devnet: Devnet, seeded: string[]): string {
  const lines = [
    '',
    'Push Node devnet is up. Ctrl-C stops everything.',
    '',
    `  node (REST + socket.io)  ${info.node}   (the SDK's ENV.LOCAL expects http://localhost:4000)`,
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
  lines.push(
    '',
    '  make your own channel:  npx push-node devnet channel create --key <private key> --name "My dApp"',
    '',
  );
  return lines.join('\n');
}

async function runDevnet(opts: {
  port: string;
  chainPorts: string;
  seed: boolean;
  dataDir?: string;
}): Promise<void> {
  const dataDir = resolve(opts.dataDir ?? process.env.PUSH_NODE_DATA_DIR ?? DEFAULT_DATA_DIR);
  const devnetDir = join(dataDir, 'devnet');
  // The chains start from genesis every time, so the node's store must too.
  rmSync(devnetDir, { recursive: true, force: true });
  mkdirSync(join(devnetDir, 'ipfs'), { recursive: true });
  const logger = createLogger((process.env.PUSH_NODE_LOG_LEVEL as 'info' | undefined) ?? 'warn');

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const gateway = await createIpfsGateway({ dir: join(devnetDir, 'ipfs') });
    cleanups.push(() => gateway.close());
    // Automine (one block per transaction) makes seeding fast; interval mining afterwards keeps the heads moving
    // like a real chain, so finality advances and the node's health reflects reality.
    const devnet = await startDevnet({ ports: parsePorts(opts.chainPorts), logger });
    cleanups.push(() => devnet.stop());
    const seeded = opts.seed ? await seedDevnet(devnet, { ipfs: gateway, logger }) : null;
    await Promise.all(
      devnet.chains.map((c) => rpcCall(c.rpcUrl, 'evm_setIntervalMining', [DEVNET_BLOCK_TIME_MS])),
    );

    const overrides: ConfigFile = {
      network: 'local',
      port: Number(opts.port),
      // What wallets and the SDK use (ENV.LOCAL is http://localhost:4000): icon links in feeds point here.
      publicUrl: `http://localhost:${Number(opts.port)}`,
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
    process.stdout.write(`${summary(info, devnet, channels)}\n`);
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
        hint: 'start it first with `npm run devnet` in another terminal',
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
    .action((opts) => createChannel(opts).catch(fail));
}
