/**
 * Who receives a targeted eip712v2 notification. The signature covers only `identity` (whose `recipients` names the
 * user); the body's `recipient` and the `::uid::` suffix are unsigned, and feed items publish the verificationProof:
 * a lifted signature must not reach anyone the signed content does not name.
 */
import { randomUUID } from 'node:crypto';
import { getAddress } from 'viem';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isPushError } from '../../src/errors.js';
import type { Admission } from '../../src/ingest/admission/index.js';
import type { AdmittedNotification } from '../../src/ingest/bus.js';
import type { Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, sdkSend, seedChannel, testAdmission } from './support.js';

const CH = 1;
const A = 11;
const VICTIM = 13;

describe.each(storeBackends())('targeted recipient on $name', (backend) => {
  let store: Store;
  let admission: Admission;
  let events: AdmittedNotification[];
  const clock = 1_700_000_000_000;

  afterAll(() => backend.cleanup());

  beforeEach(async () => {
    store = await backend.open();
    ({ admission, events } = testAdmission(store, { chains: [CORE_ADMISSION_CHAIN], now: () => clock }));
    await seedChannel(store.db, CH);
  });

  const caip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;
  const items = async (user: number) => {
    const inbox = await listUserFeed(store.db, { user: addr(user), box: 'inbox', limit: 50, now: clock });
    const spam = await listUserFeed(store.db, { user: addr(user), box: 'spam', limit: 50, now: clock });
    return [...inbox.feeds, ...spam.feeds];
  };

  it('does not deliver a notification the channel signed for A to an address named only in the unsigned body', async () => {
    const signedForA = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      type: 3,
      title: 'Your loan is about to be liquidated',
      recipients: [caip(A)],
    });
    await admission.admitPayload(signedForA, { receivedAt: clock });
    expect(await items(A)).toHaveLength(1);

    // Anyone: take the proof from A's public feed item, new uid, other recipient.
    const published = (await items(A))[0]!.payload.verificationProof as string;
    const sig = published.slice('eip712v2:'.length, published.indexOf('::uid::'));
    const redirected = {
      ...signedForA,
      verificationProof: `eip712v2:${sig}::uid::${randomUUID()}`,
      recipient: caip(VICTIM),
    };
    const outcome = await admission.admitPayload(redirected, { receivedAt: clock + 1 }).then(
      (r) => r,
      (e) => (isPushError(e) ? e.code : e),
    );
    expect(outcome).toBe('PUSH_ERR_RECIPIENT_MISMATCH');
    expect(await items(VICTIM)).toHaveLength(0);
    expect(events).toHaveLength(1);
  });
});
