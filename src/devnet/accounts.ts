import { pbkdf2Sync } from 'node:crypto';
import { type Address, bytesToHex, type Hex } from 'viem';
import { HDKey, hdKeyToAccount } from 'viem/accounts';
import { pushError } from '../errors.js';

/** Hardhat's well-known development mnemonic. Its keys are public: never use them outside a local chain. */
export const DEFAULT_DEVNET_MNEMONIC = 'test test test test test test test test test test test junk';
/** Hardhat's default number of funded accounts (also what hardhat.config.cjs configures). */
export const DEFAULT_DEVNET_ACCOUNT_COUNT = 20;

export interface DevnetAccount {
  index: number;
  address: Address;
  privateKey: Hex;
}

const cache = new Map<string, DevnetAccount[]>();

/**
 * The funded accounts of a devnet chain, derived like Hardhat does (BIP-39 seed, path m/44'/60'/0'/0/i).
 * The seed is computed once with the native PBKDF2 instead of once per account.
 */
export function devnetAccounts(
  mnemonic: string = DEFAULT_DEVNET_MNEMONIC,
  count: number = DEFAULT_DEVNET_ACCOUNT_COUNT,
): DevnetAccount[] {
  const key = `${count}\0${mnemonic}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const seed = pbkdf2Sync(Buffer.from(mnemonic.normalize('NFKD'), 'utf8'), 'mnemonic', 2048, 64, 'sha512');
  const master = HDKey.fromMasterSeed(seed);
  const accounts: DevnetAccount[] = [];
  for (let index = 0; index < count; index++) {
    const account = hdKeyToAccount(master, { addressIndex: index });
    const privateKey = account.getHdKey().privateKey;
    if (!privateKey) throw pushError('PUSH_ERR_DEVNET_START', `No private key derived for account #${index}`);
    accounts.push({ index, address: account.address, privateKey: bytesToHex(privateKey) });
  }
  cache.set(key, accounts);
  return accounts;
}
