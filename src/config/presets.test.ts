/** Network presets against the official SDK's own configuration (node_modules/@pushprotocol/restapi). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PRESETS } from './presets.js';

const require = createRequire(import.meta.url);
require('@pushprotocol/restapi');
const SDK_CONFIG = (
  require('@pushprotocol/restapi/src/lib/config') as {
    default: Record<string, Record<string, { EPNS_COMMUNICATOR_CONTRACT: string }>>;
  }
).default;

describe('EIP-712 verifyingContract of every preset chain', () => {
  // The preset's `signingComm ?? comm` is what admission uses as the EIP-712 verifyingContract (commDomain(chainId, chain.comm) in
  // src/ingest/admission/admission.ts and subscribe.ts). sdk-api-contract.md §3.1: domain "verifyingContract:
  // <communicator for (env, chain)>", which the SDK takes from CONFIG[env]['eip155:<chain>']; §1.2: "The other
  // staging entries are in config.js". contracts.md §8.2 notes for Linea Sepolia: "SDK: 0x9cb3bd75…; node staging:
  // 0xb3971B… (the sources disagree)". Whatever contract emits the events, SDK users sign with the SDK's address.
  const pairs = [
    ['local', 'local'],
    ['testnet', 'staging'],
    ['mainnet', 'prod'],
  ] as const;
  for (const [network, env] of pairs) {
    it(`${network} preset matches SDK env ${env}`, () => {
      const mismatches = PRESETS[network].chains
        .map((c) => ({
          chainId: c.chainId,
          node: (c.signingComm ?? c.comm).toLowerCase(),
          sdk: SDK_CONFIG[env]?.[`eip155:${c.chainId}`]?.EPNS_COMMUNICATOR_CONTRACT?.toLowerCase(),
        }))
        .filter((c) => c.sdk !== undefined && c.sdk !== c.node);
      expect(mismatches).toEqual([]);
    });
  }
});
