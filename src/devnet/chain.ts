import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino, { type Logger } from 'pino';
import { isPushError, pushError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { DEFAULT_DEVNET_ACCOUNT_COUNT, DEFAULT_DEVNET_MNEMONIC } from './accounts.js';
import { findFreePort, isPortInUse } from './free-port.js';

export interface StartChainOptions {
  chainId: number;
  /** TCP port for HTTP and WebSocket JSON-RPC. Omitted: a free port is picked (hardhat cannot listen on 0). */
  port?: number;
  logger?: Logger;
  mnemonic?: string;
  /** Funded accounts (hardhat's default 20). */
  accounts?: number;
  /** 0 or omitted: automine (one block per transaction). Otherwise a block every `blockTimeMs`. */
  blockTimeMs?: number;
  /** How long to wait for the node to answer. Generous by default: start-up competes for two shared cores. */
  startTimeoutMs?: number;
}

export interface DevChain {
  chainId: number;
  port: number;
  rpcUrl: string;
  wsUrl: string;
  /** The process (and process group) id of the node. */
  pid: number;
  /** Kills the node's process group and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

const READY_LINE = 'Started HTTP and WebSocket JSON-RPC server at';
const PORT_RETRIES = 3;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 30;

/**
 * Runs hardhat's CLI inside a tiny guard (CommonJS via `node -e`, so it works from src/ and dist/ alike). The parent
 * holds the write end of our stdin pipe; when the parent dies for any reason (even SIGKILL) the pipe closes, stdin
 * ends and the node exits with it. Linux's PR_SET_PDEATHSIG is not reachable from Node; this is the portable version.
 */
const GUARD_SOURCE = [
  "'use strict';",
  'const [bin, ...args] = process.argv.slice(1);',
  "process.stdin.on('end', () => process.exit(0));",
  "process.stdin.on('error', () => process.exit(0));",
  'process.stdin.resume();',
  // A readable `ps` line instead of this script's source.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the guard's own source text, a template literal on purpose
  "process.title = `push-node-devnet ${args.join(' ')} (chain ${process.env.PUSH_DEVNET_CHAIN_ID})`;",
  'process.argv = [process.argv[0], bin, ...args];',
  'require(bin);',
].join('\n');

// Invariant: every node in this set is running; `exit` removes it. Used to kill stragglers when this process exits.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL the groups. Death by signal skips 'exit', which the stdin guard covers.
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function hardhatBin(): string {
  const require = createRequire(import.meta.url);
  // hardhat's package.json `bin` entry.
  return join(require.resolve('hardhat/package.json'), '..', 'internal', 'cli', 'bootstrap.js');
}

/** Starts `hardhat node` for one chain and resolves once it serves that chain id over JSON-RPC. */
export async function startChain(options: StartChainOptions): Promise<DevChain> {
  const logger = options.logger ?? pino({ level: 'silent' });
  if (!Number.isSafeInteger(options.chainId) || options.chainId <= 0) {
    throw pushError('PUSH_ERR_DEVNET_START', `Invalid chain id ${options.chainId}`, { field: 'chainId' });
  }
  if (options.port !== undefined) {
    if (await isPortInUse(options.port)) {
      throw pushError('PUSH_ERR_DEVNET_START', `Port ${options.port} is already in use on 127.0.0.1`, {
        field: 'port',
        hint:
          'another devnet may be running: stop it, or choose other ports (push-node devnet --port <node port> ' +
          '--chain-ports <core port>,<alias port>; from code, leave `port` out to get a free one)',
        details: { chainId: options.chainId, port: options.port },
      });
    }
    return spawnChain(options, options.port, logger);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_RETRIES; attempt++) {
    const port = await findFreePort();
    try {
      return await spawnChain(options, port, logger);
    } catch (err) {
      // Only a port race is worth another try; anything else will fail the same way again.
      if (!(isPushError(err) && String(err.details?.output ?? '').includes('EADDRINUSE'))) throw err;
      lastError = err;
      logger.debug({ chainId: options.chainId, port }, 'devnet chain port taken meanwhile, retrying');
    }
  }
  throw lastError;
}

async function spawnChain(options: StartChainOptions, port: number, logger: Logger): Promise<DevChain> {
  const { chainId } = options;
  const root = packageRoot();
  const config = join(root, 'hardhat.config.cjs');
  if (!existsSync(config)) {
    throw pushError('PUSH_ERR_DEVNET_START', `Missing ${config}`, {
      hint: 'the hardhat config ships with push-node',
    });
  }
  const args = [
    '-e',
    GUARD_SOURCE,
    '--',
    hardhatBin(),
    'node',
    '--hostname',
    '127.0.0.1',
    '--port',
    String(port),
    '--config',
    config,
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    // Own process group, so stop() can kill the whole tree and a Ctrl-C aimed at the parent's group is not doubled.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PUSH_DEVNET_CHAIN_ID: String(chainId),
      PUSH_DEVNET_MNEMONIC: options.mnemonic ?? DEFAULT_DEVNET_MNEMONIC,
      PUSH_DEVNET_ACCOUNTS: String(options.accounts ?? DEFAULT_DEVNET_ACCOUNT_COUNT),
      PUSH_DEVNET_BLOCK_TIME_MS: String(options.blockTimeMs ?? 0),
      HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true',
      // Hardhat's update checks and colours only add noise to captured output.
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    },
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw pushError('PUSH_ERR_DEVNET_START', 'Could not spawn the hardhat node', {
      details: { chainId, port },
    });
  }
  running.add(child);
  installExitHook();

  const tail: string[] = [];
  let ready = false;
  const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (line.includes(READY_LINE)) ready = true;
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    // The node prints its (public, well-known) account keys at start; that is fine at trace level.
    logger.trace({ chainId, stream }, line);
  };
  // Both pipes are always drained: a full pipe would stall the node.
  createInterface({ input: child.stdout! }).on('line', onLine('stdout'));
  createInterface({ input: child.stderr! }).on('line', onLine('stderr'));
  // Writing to a dead child's stdin raises EPIPE; nothing is ever written, but stay quiet if the stream errors.
  child.stdin!.on('error', () => {});

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      running.delete(child);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      // Anything the node may have left in its group goes too.
      killGroup(child, 'SIGKILL');
      child.stdin?.destroy();
      logger.debug({ chainId, port }, 'devnet chain stopped');
    })();
    return stopping;
  };

  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exitInfo) {
        throw pushError(
          'PUSH_ERR_DEVNET_START',
          `The hardhat node for chain ${chainId} exited during start-up`,
          {
            hint: 'see details.output for what it printed',
            details: { chainId, port, ...exitInfo, output: tail.join('\n') },
          },
        );
      }
      // The ready line proves that OUR node bound the port, not some other server already listening there.
      if (ready) {
        const answered = await rpcChainId(rpcUrl);
        if (answered !== undefined) {
          if (answered !== chainId) {
            throw pushError('PUSH_ERR_DEVNET_START', `The node on port ${port} serves chain ${answered}`, {
              details: { expected: chainId, actual: answered, port },
            });
          }
          break;
        }
      }
      if (Date.now() > deadline) {
        throw pushError(
          'PUSH_ERR_DEVNET_START',
          `The hardhat node for chain ${chainId} did not start in time`,
          {
            hint: 'the machine may be overloaded; raise startTimeoutMs',
            details: { chainId, port, output: tail.join('\n') },
          },
        );
      }
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  logger.info({ chainId, rpcUrl, pid }, 'devnet chain started');
  return { chainId, port, rpcUrl, wsUrl: `ws://127.0.0.1:${port}`, pid, stop };
}

/** `eth_chainId` as a number, or undefined when the endpoint does not answer (yet). */
async function rpcChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { result?: string };
    return typeof body.result === 'string' ? Number.parseInt(body.result, 16) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
