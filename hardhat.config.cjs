// Hardhat 2 needs a config file to run `hardhat node`. One file serves every devnet chain: the chain id and the
// accounts come from the environment that `src/devnet/chain.ts` sets for each spawned node.
// We never compile with Hardhat (our contracts are built by scripts/build-contracts.js with solc-js), so the
// `paths` below point at folders that hold no Solidity sources and keep Hardhat's cache out of the repository root.
const os = require('node:os');
const path = require('node:path');

const DEFAULT_MNEMONIC = 'test test test test test test test test test test test junk';

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`PUSH_ERR_DEVNET_START: ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

const chainId = intFromEnv('PUSH_DEVNET_CHAIN_ID', 31337);
const accountCount = intFromEnv('PUSH_DEVNET_ACCOUNTS', 20);
// 0 (or unset) keeps automine: one block per transaction, which is what tests want. A value > 0 mines on an interval.
const blockTimeMs = Number(process.env.PUSH_DEVNET_BLOCK_TIME_MS ?? 0);

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  defaultNetwork: 'hardhat',
  networks: {
    hardhat: {
      chainId,
      // Pinned so a Hardhat upgrade does not silently change gas rules (Osaka caps a tx at 2^24 gas).
      hardfork: 'prague',
      accounts: {
        mnemonic: process.env.PUSH_DEVNET_MNEMONIC || DEFAULT_MNEMONIC,
        count: accountCount,
        accountsBalance: '10000000000000000000000',
      },
      // Bulk emitters put 500 storage-writing events in one tx; leave plenty of room.
      blockGasLimit: 60_000_000,
      mining: blockTimeMs > 0 ? { auto: false, interval: blockTimeMs } : { auto: true },
      // Automine makes a block per transaction; without this each one would be stamped a second after the last, so a
      // quick burst (seeding, tests) pushes block time minutes ahead of the wall clock, and opt-ins made on chain
      // would look newer than signed requests made after them.
      allowBlocksWithSameTimestamp: true,
      // `hardhat node` logs every RPC call by default: far too noisy for a devnet that is polled by an indexer.
      loggingEnabled: process.env.PUSH_DEVNET_RPC_LOG === '1',
    },
  },
  paths: {
    sources: path.join(os.tmpdir(), 'push-node-hardhat', 'no-sources'),
    cache: path.join(os.tmpdir(), 'push-node-hardhat', 'cache'),
    artifacts: path.join(os.tmpdir(), 'push-node-hardhat', 'artifacts'),
  },
};
