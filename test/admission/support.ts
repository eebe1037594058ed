import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ChainSink } from '../../src/chains/types.js';
import { ALIAS_CHAIN_ID, CORE_CHAIN_ID, SDK_LOCAL_COMM_ADDRESSES } from '../../src/devnet/addresses.js';
import {
  type Admission,
  type AdmissionChain,
  type AdmissionDeps,
  type AdmittedNotification,
  createAdmission,
  createBus,
  type NotificationBus,
} from '../../src/ingest/admission/index.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { DB, Store } from '../../src/store/index.js';
import { testChannelRow } from '../support/channel-row.js';

export { ALIAS_CHAIN_ID, CORE_CHAIN_ID };
export const CORE_COMM = SDK_LOCAL_COMM_ADDRESSES[CORE_CHAIN_ID]!;
export const ALIAS_COMM = SDK_LOCAL_COMM_ADDRESSES[ALIAS_CHAIN_ID]!;

/** Deterministic test keys: key(n) is 0x…n. */
export function key(n: number): Hex {
  return `0x${n.toString(16).padStart(64, '0')}` as Hex;
}
export function account(n: number) {
  return privateKeyToAccount(key(n));
}
export const addr = (n: number) => account(n).address.toLowerCase();

const domain = (chainId: number) => ({
  name: 'EPNS COMM V1',
  chainId,
  verifyingContract: (chainId === CORE_CHAIN_ID ? CORE_COMM : ALIAS_COMM) as Hex,
});

/** The SDK's eip712v2 recipe: Data{data: <the exact string>} under the Comm domain of the chain. */
export async function signData(signer: number, chainId: number, data: string): Promise<Hex> {
  return account(signer).signTypedData({
    domain: domain(chainId),
    types: { Data: [{ name: 'data', type: 'string' }] },
    primaryType: 'Data',
    message: { data },
  });
}

export async function signSubscribeV1(
  signer: number,
  chainId: number,
  action: 'Subscribe' | 'Unsubscribe',
  channel: string,
  user: string,
): Promise<Hex> {
  const a = account(signer);
  return action === 'Subscribe'
    ? a.signTypedData({
        domain: domain(chainId),
        types: {
          Subscribe: [
            { name: 'channel', type: 'address' },
            { name: 'subscriber', type: 'address' },
            { name: 'action', type: 'string' },
          ],
        },
        primaryType: 'Subscribe',
        message: { channel: channel as Hex, subscriber: user as Hex, action },
      })
    : a.signTypedData({
        domain: domain(chainId),
        types: {
          Unsubscribe: [
            { name: 'channel', type: 'address' },
            { name: 'unsubscriber', type: 'address' },
            { name: 'action', type: 'string' },
          ],
        },
        primaryType: 'Unsubscribe',
        message: { channel: channel as Hex, unsubscriber: user as Hex, action },
      });
}

export interface PayloadOptions {
  type?: 1 | 3 | 4;
  title?: string;
  body?: string;
  recipients?: string[];
  index?: string;
  hidden?: boolean;
  etime?: number;
}

/** `getPayloadForAPIInput`'s JSON (key order as the SDK). */
export function sdkPayloadJson(channelCaip: string, o: PayloadOptions = {}): string {
  const type = o.type ?? 1;
  const data: Record<string, unknown> = {
    acta: 'https://cta.example',
    aimg: '',
    amsg: o.body ?? 'body',
    asub: o.title ?? 'title',
    type: String(type),
  };
  if (o.etime) data.etime = o.etime;
  if (o.hidden) data.hidden = '1';
  if (o.index) data.index = o.index;
  let recipients: unknown;
  if (type === 1) recipients = channelCaip;
  else if (type === 3) recipients = o.recipients?.[0];
  else recipients = Object.fromEntries((o.recipients ?? []).map((r) => [r, null]));
  return JSON.stringify({
    notification: { title: o.title ?? 'title', body: o.body ?? 'body' },
    data,
    recipients,
  });
}

/** A complete `POST /v1/payloads` body as the SDK sends it, signed by `signer`. */
export async function sdkSend(
  signer: number,
  senderChainId: number,
  senderAddress: string,
  o: PayloadOptions & { identity?: string } = {},
) {
  const senderCaip = `eip155:${senderChainId}:${senderAddress}`;
  const identity = o.identity ?? `2+${sdkPayloadJson(senderCaip, o)}`;
  const sig = await signData(signer, senderChainId, identity);
  const type = o.type ?? 1;
  return {
    verificationProof: `eip712v2:${sig}::uid::${randomUUID()}`,
    identity,
    sender: senderCaip,
    source: senderChainId === CORE_CHAIN_ID ? 'ETH_TEST_SEPOLIA' : 'POLYGON_TEST_AMOY',
    recipient: type === 3 ? (o.recipients?.[0] ?? senderCaip) : senderCaip,
  };
}

export async function seedChannel(
  db: Kysely<DB>,
  owner: number,
  opts: { state?: number; settings?: string; description?: string; name?: string; subgraph?: string } = {},
) {
  await db
    .insertInto('channels')
    .values(
      testChannelRow(addr(owner), {
        core_chain_id: CORE_CHAIN_ID,
        identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
        name: opts.name ?? `Channel ${owner}`,
        url: 'https://channel.example',
        icon: 'https://channel.example/icon.png',
        state: opts.state ?? 1,
        settings_raw: opts.settings ?? null,
        settings_description: opts.description ?? null,
        subgraph: opts.subgraph ?? null,
      }),
    )
    .execute();
}

/** The SDK-local core chain as admission sees it, without RPC (nothing to read receipts or ERC-1271 from). */
export const CORE_ADMISSION_CHAIN: AdmissionChain = { chainId: CORE_CHAIN_ID, comm: CORE_COMM, rpcUrls: [] };
/** The SDK-local alias chain as admission sees it, without RPC. */
export const ALIAS_ADMISSION_CHAIN: AdmissionChain = {
  chainId: ALIAS_CHAIN_ID,
  comm: ALIAS_COMM,
  rpcUrls: [],
};

/**
 * What `testAdmission` may change: any admission dependency but the store and the bus. `limits` is merged over the
 * fixture's (no rate limits); everything not given is the fixture's default or, past that, admission's own.
 */
export type TestAdmissionOptions = Partial<Omit<AdmissionDeps, 'store' | 'bus'>>;

export interface TestAdmission {
  admission: Admission;
  /** The bus admission publishes to (hand it to `testPushApp` for live fan-out). */
  bus: NotificationBus;
  /** Every notification published on `bus`, in order. */
  events: AdmittedNotification[];
  /** A chain sink on the same store whose SendNotification logs are admitted through `admission.chainDoor`. */
  sink: ChainSink;
  /** The registry admission's metrics are in. */
  registry: Registry;
}

/**
 * The admission pipeline as most tests want it: on `store`, core chain CORE_CHAIN_ID, both SDK-local chains without
 * RPC (`chains: [CORE_ADMISSION_CHAIN]` for the core chain only), a silent logger, a fresh metrics registry, no rate
 * limits, wall-clock time, no IPFS or subgraph; with a bus whose events are collected and a chain sink wired to
 * admission. `overrides` replaces any of these (chains, chainClients, ipfs, subgraph, now, limits, logger, ...).
 */
export function testAdmission(store: Store, overrides: TestAdmissionOptions = {}): TestAdmission {
  const logger = overrides.logger ?? pino({ level: 'silent' });
  const coreChainId = overrides.coreChainId ?? CORE_CHAIN_ID;
  const registry = overrides.registry ?? new Registry();
  const bus = createBus({ logger });
  const events: AdmittedNotification[] = [];
  bus.subscribe((e) => events.push(e));
  const admission = createAdmission({
    chains: [CORE_ADMISSION_CHAIN, ALIAS_ADMISSION_CHAIN],
    ...overrides,
    store,
    coreChainId,
    bus,
    logger,
    registry,
    limits: { perIp: null, perChannel: null, ...overrides.limits },
  });
  const sink = createStoreChainSink({ store, coreChainId, logger, notifications: admission.chainDoor });
  return { admission, bus, events, sink, registry };
}
