import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Abi, Hex } from 'viem';
import { pushError } from '../errors.js';
import { packageRoot } from '../package-root.js';

/** What scripts/build-contracts.js writes to build/contracts/<Name>.json. */
export interface ContractArtifact {
  contractName: string;
  sourceName: string;
  abi: Abi;
  /** Creation code (runs the constructor; PushCore/PushComm have none, TestWallet takes its owner). */
  bytecode: Hex;
  /** Runtime code: what `hardhat_setCode` places at an address. */
  deployedBytecode: Hex;
}

export type PushContractName = 'PushCore' | 'PushComm';

interface BuildModule {
  buildContracts(options?: { srcDir?: string; outDir?: string; force?: boolean }): {
    built: boolean;
    contracts: string[];
    outDir: string;
  };
}

export function artifactsDir(): string {
  return join(packageRoot(), 'build', 'contracts');
}

// One build per process: concurrent callers share the promise (the build itself is safe across processes).
let buildOnce: Promise<void> | undefined;

/**
 * Compiles the contracts if their artifacts are missing or stale (the build script's hash check makes this cheap
 * when nothing changed). Tests on a fresh clone rely on this instead of `npm run build`.
 */
export function ensureContractsBuilt(): Promise<void> {
  buildOnce ??= (async () => {
    const script = join(packageRoot(), 'scripts', 'build-contracts.js');
    if (!existsSync(script)) {
      // Installed without the build script: the prebuilt artifacts are all there is.
      return;
    }
    try {
      const mod = (await import(pathToFileURL(script).href)) as BuildModule;
      mod.buildContracts();
    } catch (err) {
      throw pushError(
        'PUSH_ERR_CONTRACT_BUILD',
        `The contracts could not be compiled: ${errorMessage(err)}`,
        {
          hint: 'run `node scripts/build-contracts.js` to see the compiler error',
          cause: err,
        },
      );
    }
  })();
  // A failed build may be retried later (e.g. after the source is fixed).
  buildOnce.catch(() => {
    buildOnce = undefined;
  });
  return buildOnce;
}

const loaded = new Map<string, ContractArtifact>();

/** Loads build/contracts/<name>.json, building the contracts first if needed. */
export async function loadArtifact(name: PushContractName | (string & {})): Promise<ContractArtifact> {
  const hit = loaded.get(name);
  if (hit) return hit;
  await ensureContractsBuilt();
  const file = join(artifactsDir(), `${name}.json`);
  let artifact: ContractArtifact;
  try {
    artifact = JSON.parse(readFileSync(file, 'utf8')) as ContractArtifact;
  } catch (err) {
    throw pushError('PUSH_ERR_CONTRACT_BUILD', `No artifact for contract ${name}`, {
      hint: 'run `npm run build` (or `node scripts/build-contracts.js`)',
      details: { file },
      cause: err,
    });
  }
  if (!Array.isArray(artifact.abi) || !artifact.deployedBytecode?.startsWith('0x')) {
    throw pushError('PUSH_ERR_CONTRACT_BUILD', `The artifact of ${name} is malformed`, { details: { file } });
  }
  loaded.set(name, artifact);
  return artifact;
}

/** Both Push contracts, the usual need of the devnet and of tests. */
export async function loadPushArtifacts(): Promise<{ core: ContractArtifact; comm: ContractArtifact }> {
  const [core, comm] = await Promise.all([loadArtifact('PushCore'), loadArtifact('PushComm')]);
  return { core, comm };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
