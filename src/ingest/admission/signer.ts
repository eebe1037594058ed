import { type Hex, toHex } from 'viem';
import { isPushError, pushError } from '../../errors.js';
import type { VerifierPool } from '../verify/index.js';
import { recoverAddress, type TypedDataInput, typedDataDigest } from '../verify/index.js';
import type { ChainClient } from './chain-client.js';

/**
 * The answer to a `pgpv4` proof. Verifying one needs the signer's PGP public key, which Push keeps in user profiles
 * (`POST /v2/users/`); this node keeps none and refuses that route, so the SDK's PushAPI stays keyless and signs with
 * EIP-712 — unless a caller hands it a PGP key explicitly, which is what this error tells them to stop doing.
 */
export function pgpProofRefused() {
  return pushError(
    'PUSH_ERR_UNSUPPORTED_PROOF',
    'pgpv4 proofs cannot be verified by this node: it keeps no PGP keys, and verifies EIP-712 signatures only',
    {
      field: 'verificationProof',
      hint: 'initialize PushAPI without decryptedPGPPrivateKey (and send without advanced.pgpPrivateKey): the SDK then signs with EIP-712 (eip712v2)',
    },
  );
}

/**
 * Who signed typed data, and whether that is one of `allowed` — directly (EOA), or through ERC-1271 for a contract
 * account. Returns the matching address (lower-case), or throws SIGNATURE_INVALID / SIGNER_NOT_AUTHORIZED.
 * `isAllowed` may accept a recovered address that is not in `accounts` (e.g. a delegate).
 */
export async function checkTypedSigner(args: {
  typed: TypedDataInput;
  signature: Hex;
  /** The accounts that may sign themselves (channel / subscriber); ERC-1271 is tried on these. */
  accounts: readonly string[];
  isAllowed?: (recovered: string) => Promise<boolean>;
  verifier?: VerifierPool | undefined;
  chain?: ChainClient | undefined;
  field: string;
}): Promise<{ signer: string; via: 'eoa' | 'delegate' | 'erc1271' }> {
  const digest = typedDataDigest(args.typed);
  let recovered: string | null = null;
  let recoverError: unknown = null;
  try {
    recovered = (
      args.verifier
        ? await args.verifier.recover(digest, args.signature)
        : recoverAddress(digest, args.signature)
    ).toLowerCase();
  } catch (err) {
    if (!isPushError(err, 'PUSH_ERR_SIGNATURE_INVALID')) throw err;
    recoverError = err;
  }
  if (recovered !== null) {
    if (args.accounts.includes(recovered)) return { signer: recovered, via: 'eoa' };
    if (args.isAllowed && (await args.isAllowed(recovered))) return { signer: recovered, via: 'delegate' };
  }
  if (args.chain) {
    const hex = toHex(digest);
    for (const account of args.accounts) {
      if (await args.chain.isValidSignature(account, hex, args.signature))
        return { signer: account, via: 'erc1271' };
    }
  }
  if (recoverError) throw recoverError;
  throw pushError(
    'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    `The request was signed by ${recovered}, who may not act for ${args.accounts.join(', ')}`,
    {
      field: args.field,
      hint: 'sign with the channel (or a delegate registered on that chain) over the exact string sent, with the domain {name:"EPNS COMM V1", chainId, verifyingContract: Comm of that chain}; a contract wallet must accept the signature through ERC-1271 isValidSignature(EIP-712 digest) on that chain',
      details: { recovered },
    },
  );
}
