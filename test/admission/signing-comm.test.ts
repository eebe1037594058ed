import { getAddress } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { isPushError } from '../../src/errors.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_CHAIN_ID, CORE_COMM, sdkSend, seedChannel, testAdmission } from './support.js';

/**
 * A chain whose SDK signs for another Comm than the one emitting its events (`signingComm`, e.g. Linea Sepolia in the
 * testnet preset): payloads are verified under the SDK's domain.
 */
const sqlite = storeBackends()[0]!;
afterAll(() => sqlite.cleanup());

const EVENTS_COMM = `0x${'ee'.repeat(20)}`;
const CH = 1;

describe('EIP-712 verifyingContract of a chain', () => {
  it('is signingComm when set, comm otherwise', async () => {
    const body = await sdkSend(CH, CORE_CHAIN_ID, getAddress(addr(CH)), { title: 'hi' }); // signed for CORE_COMM

    const store = await sqlite.open();
    await seedChannel(store.db, CH);
    const withSigning = testAdmission(store, {
      chains: [{ chainId: CORE_CHAIN_ID, comm: EVENTS_COMM, signingComm: CORE_COMM, rpcUrls: [] }],
    });
    expect(await withSigning.admission.admitPayload(body)).toMatchObject({ status: 'admitted' });

    const other = await sqlite.open();
    await seedChannel(other.db, CH);
    const eventsOnly = testAdmission(other, {
      chains: [{ chainId: CORE_CHAIN_ID, comm: EVENTS_COMM, rpcUrls: [] }],
    });
    const refused = await eventsOnly.admission.admitPayload(body).catch((e: unknown) => e);
    expect(isPushError(refused) && refused.code).toBe('PUSH_ERR_SIGNER_NOT_AUTHORIZED');
  });
});
