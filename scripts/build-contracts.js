#!/usr/bin/env node
// Compiles every src/contracts/*.sol with solc-js into build/contracts/<Name>.json ({abi, bytecode, deployedBytecode}).
// Skips all work when the sources, compiler and settings hash to what the last build recorded.
// On a compile error it exits 1 with one line on stderr: `PUSH_ERR_CONTRACT_BUILD: <file>:<line>:<col>: <message>`.
//
// Usage: node scripts/build-contracts.js [--src <dir>] [--out <dir>] [--force] [--quiet]
// Also importable: `buildContracts({srcDir, outDir, force})` (used by src/contracts/artifacts.ts on a fresh clone).
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SRC_DIR = join(ROOT, 'src', 'contracts');
export const DEFAULT_OUT_DIR = join(ROOT, 'build', 'contracts');
const HASH_FILE = '.build-hash.json';

// Part of the hash: changing them rebuilds. evmVersion matches the devnet's hardfork floor (cancun ⊂ prague).
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};
/** Bump when the shape of the written artifacts changes. */
const FORMAT_VERSION = 1;

export class ContractBuildError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ContractBuildError';
    this.code = 'PUSH_ERR_CONTRACT_BUILD';
  }
}

function listSources(srcDir) {
  if (!existsSync(srcDir)) throw new ContractBuildError(`source folder not found: ${srcDir}`);
  const files = readdirSync(srcDir)
    .filter((f) => f.endsWith('.sol'))
    .sort();
  if (files.length === 0) throw new ContractBuildError(`no .sol files in ${srcDir}`);
  return files.map((file) => ({ file, content: readFileSync(join(srcDir, file), 'utf8') }));
}

function solcVersion(require) {
  return require('solc/package.json').version;
}

function hashInputs(sources, version) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ FORMAT_VERSION, version, SETTINGS }));
  for (const { file, content } of sources) h.update(`\0${file}\0${content}`);
  return h.digest('hex');
}

function readRecord(outDir) {
  try {
    return JSON.parse(readFileSync(join(outDir, HASH_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

// Concurrent builds (parallel test workers on a fresh clone) write identical files; rename keeps each write atomic.
function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function formatError(e) {
  const loc = e.sourceLocation;
  if (!loc) return e.message;
  // Turn the byte offset into line:column for the one-line report.
  return `${loc.file}:${
    e.formattedMessage
      ?.match(/:(\d+):(\d+):/)
      ?.slice(1, 3)
      .join(':') ?? '?'
  }: ${e.message}`;
}

/**
 * @param {{srcDir?: string, outDir?: string, force?: boolean}} [options]
 * @returns {{built: boolean, hash: string, contracts: string[], outDir: string}}
 */
export function buildContracts(options = {}) {
  const srcDir = resolve(options.srcDir ?? DEFAULT_SRC_DIR);
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const require = createRequire(import.meta.url);
  const sources = listSources(srcDir);
  const version = solcVersion(require);
  const hash = hashInputs(sources, version);

  const record = readRecord(outDir);
  if (
    !options.force &&
    record?.hash === hash &&
    Array.isArray(record.contracts) &&
    record.contracts.every((name) => existsSync(join(outDir, `${name}.json`)))
  ) {
    return { built: false, hash, contracts: record.contracts, outDir };
  }

  // Loading solc-js costs about a second, so it happens only when something must be compiled.
  const solc = require('solc');
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(sources.map(({ file, content }) => [file, { content }])),
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error(s))` : '';
    throw new ContractBuildError(`${formatError(errors[0])}${more}`);
  }

  mkdirSync(outDir, { recursive: true });
  const contracts = [];
  for (const [file, byName] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(byName)) {
      const bytecode = c.evm?.bytecode?.object ?? '';
      // Interfaces and abstract contracts have no code to place on a chain.
      if (bytecode === '') continue;
      if (contracts.includes(name))
        throw new ContractBuildError(`contract name ${name} is defined twice (${file})`);
      contracts.push(name);
      const artifact = {
        contractName: name,
        sourceName: file,
        abi: c.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      writeAtomic(join(outDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }
  contracts.sort();
  // Written last: a build interrupted before this point is redone next time.
  writeAtomic(
    join(outDir, HASH_FILE),
    `${JSON.stringify({ hash, solcVersion: version, contracts }, null, 2)}\n`,
  );
  return { built: true, hash, contracts, outDir };
}

function parseArgs(argv) {
  const options = { force: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--src') options.srcDir = argv[++i];
    else if (arg === '--out') options.outDir = argv[++i];
    else if (arg === '--force') options.force = true;
    else if (arg === '--quiet') options.quiet = true;
    else
      throw new ContractBuildError(
        `unknown argument ${arg} (usage: --src <dir> --out <dir> --force --quiet)`,
      );
  }
  return options;
}

function main() {
  try {
    const options = parseArgs(process.argv.slice(2));
    const result = buildContracts(options);
    if (!options.quiet) {
      const what = result.built ? 'compiled' : 'up to date';
      process.stdout.write(`contracts ${what}: ${result.contracts.join(', ')} -> ${result.outDir}\n`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`PUSH_ERR_CONTRACT_BUILD: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  }
}

function invokedDirectly() {
  try {
    return (
      Boolean(process.argv[1]) &&
      pathToFileURL(realpathSync(resolve(process.argv[1]))).href === import.meta.url
    );
  } catch {
    return false;
  }
}

if (invokedDirectly()) main();
