import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Abi, encodeFunctionData } from 'viem';
import { pushError } from '../../errors.js';
import type { Hex } from '../types.js';

/**
 * Test support (not used by the node): compiles IndexerTestEmitters.sol with solc-js (cached in the temp dir by
 * source hash) and deploys FakeCore/FakeComm to a hardhat node through its unlocked account #0.
 */

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'IndexerTestEmitters.sol');

export function compileTestEmitters(): { FakeCore: CompiledContract; FakeComm: CompiledContract } {
  const source = readFileSync(SOURCE, 'utf8');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cacheDir = join(tmpdir(), 'push-node-chains-test');
  const cacheFile = join(cacheDir, `emitters-${hash}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8'));
  } catch {
    // not compiled yet
  }
  // solc ships no types; this is the one call we make.
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'IndexerTestEmitters.sol': { content: source } },
        settings: {
          optimizer: { enabled: true, runs: 200 },
          evmVersion: 'paris',
          outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
        },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw pushError('PUSH_ERR_CONTRACT_BUILD', errors.map((e) => e.formattedMessage).join('\n'));
  }
  const file = out.contracts?.['IndexerTestEmitters.sol'];
  const pick = (name: string): CompiledContract => {
    const c = file?.[name];
    if (!c) throw pushError('PUSH_ERR_CONTRACT_BUILD', `${name} missing from the solc output`);
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  };
  const result = { FakeCore: pick('FakeCore'), FakeComm: pick('FakeComm') };
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(result));
  renameSync(tmp, cacheFile);
  return result;
}

let rpcId = 1;

/** One JSON-RPC call; throws with the node's message on error. */
export async function rawRpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: rpcId++, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw pushError('PUSH_ERR_RPC_ERROR', `${method}: ${body.error.message}`);
  return body.result as T;
}

export interface TestEmitters {
  rpcUrl: string;
  core: Hex;
  comm: Hex;
  /** First block after the deployments. */
  startBlock: number;
  /** Sends one call from account #0 (gas limit default 8M); with automine on, it is mined before this resolves. */
  call(target: 'core' | 'comm', functionName: string, args: readonly unknown[], gas?: number): Promise<Hex>;
  /** Encoded calldata, for callers that batch transactions themselves. */
  encode(target: 'core' | 'comm', functionName: string, args: readonly unknown[]): Hex;
  from: Hex;
}

export async function deployTestEmitters(rpcUrl: string): Promise<TestEmitters> {
  const compiled = compileTestEmitters();
  const [from] = await rawRpc<Hex[]>(rpcUrl, 'eth_accounts');
  if (!from) throw pushError('PUSH_ERR_DEVNET_START', 'the node has no unlocked account');
  async function deploy(c: CompiledContract): Promise<Hex> {
    const tx = await rawRpc<Hex>(rpcUrl, 'eth_sendTransaction', [
      { from, data: c.bytecode, gas: '0x2dc6c0' },
    ]);
    const receipt = await rawRpc<{ contractAddress: Hex; status: Hex } | null>(
      rpcUrl,
      'eth_getTransactionReceipt',
      [tx],
    );
    if (receipt?.status !== '0x1') throw pushError('PUSH_ERR_DEVNET_START', 'emitter deployment failed');
    return receipt.contractAddress.toLowerCase() as Hex;
  }
  const core = await deploy(compiled.FakeCore);
  const comm = await deploy(compiled.FakeComm);
  const startBlock = Number.parseInt(await rawRpc<string>(rpcUrl, 'eth_blockNumber'), 16) + 1;
  const encode = (target: 'core' | 'comm', functionName: string, args: readonly unknown[]) =>
    encodeFunctionData({
      abi: (target === 'core' ? compiled.FakeCore : compiled.FakeComm).abi,
      functionName,
      args,
    });
  return {
    rpcUrl,
    core,
    comm,
    startBlock,
    from,
    encode,
    call(target, functionName, args, gas = 8_000_000) {
      const data = encode(target, functionName, args);
      return rawRpc<Hex>(rpcUrl, 'eth_sendTransaction', [
        { from, to: target === 'core' ? core : comm, data, gas: `0x${gas.toString(16)}` },
      ]);
    },
  };
}
