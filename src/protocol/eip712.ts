/**
 * EIP-712 domains and types the SDK and the original node sign with (SDK contract §3.1, contracts §4), digest
 * helpers (pure: viem's `hashTypedData`), and the subscribe/unsubscribe message bodies.
 *
 * Domain: `{name: 'EPNS COMM V1', chainId, verifyingContract: <Comm proxy of that chain>}` with NO `version` field,
 * so `EIP712Domain(string name,uint256 chainId,address verifyingContract)`.
 *
 * Verify the strings exactly as received: the SDK signs the identity string and the 4-space subscribe JSON
 * string, and any re-serialisation (key order, spacing, escapes) changes the digest.
 */
import { hashTypedData } from 'viem';
import { type Address, parseEip155 } from './caip.js';
import type { Hex } from './hex.js';
import { fail, isPlainObject, own, quote } from './text.js';

export const COMM_DOMAIN_NAME = 'EPNS COMM V1';

export interface CommDomain {
  name: typeof COMM_DOMAIN_NAME;
  chainId: number;
  verifyingContract: Address;
}

export function commDomain(chainId: number, verifyingContract: string): CommDomain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    fail(
      'PUSH_ERR_INVALID_CAIP',
      `EIP-712 chain id must be a positive integer, got ${String(chainId)}`,
      'chainId',
    );
  }
  return {
    name: COMM_DOMAIN_NAME,
    chainId,
    verifyingContract: parseEip155(verifyingContract, 'verifyingContract').address,
  };
}

export const EIP712_DOMAIN_TYPE = [
  { name: 'name', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
] as const;

/** eip712v2 sends (`data` = the identity string) and V2 subscribe/unsubscribe (`data` = the message string). */
export const DATA_TYPES = { Data: [{ name: 'data', type: 'string' }] } as const;

/** V1 gasless subscribe; plain addresses are signed even though the HTTP body carries CAIPs. */
export const SUBSCRIBE_V1_TYPES = {
  Subscribe: [
    { name: 'channel', type: 'address' },
    { name: 'subscriber', type: 'address' },
    { name: 'action', type: 'string' },
  ],
} as const;

export const UNSUBSCRIBE_V1_TYPES = {
  Unsubscribe: [
    { name: 'channel', type: 'address' },
    { name: 'unsubscriber', type: 'address' },
    { name: 'action', type: 'string' },
  ],
} as const;

/**
 * `eip712v1` sends: a `Data` struct of the payload's data fields, message = the `data` object of the identity's
 * JSON (reference §4.4).
 */
export const PAYLOAD_V1_TYPES = {
  Data: [
    { name: 'acta', type: 'string' },
    { name: 'aimg', type: 'string' },
    { name: 'amsg', type: 'string' },
    { name: 'asub', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'secret', type: 'string' },
  ],
} as const;

/**
 * The deprecated `_verify_signed_payload` route's `Payload{notification, data}`. contracts §4 lists this shape for
 * eip712v1 while the node reference lists the flat `Data` above; both are kept so either can be checked.
 */
export const LEGACY_SIGNED_PAYLOAD_TYPES = {
  Payload: [
    { name: 'notification', type: 'Notification' },
    { name: 'data', type: 'Data' },
  ],
  Notification: [
    { name: 'title', type: 'string' },
    { name: 'body', type: 'string' },
  ],
  Data: PAYLOAD_V1_TYPES.Data,
} as const;

export interface PayloadV1Message {
  acta: string;
  aimg: string;
  amsg: string;
  asub: string;
  type: string;
  secret: string;
}

/** Digest of `Data{data}`: what an eip712v2 proof signs. */
export function dataDigest(domain: CommDomain, data: string): Hex {
  return hashTypedData({ domain, types: DATA_TYPES, primaryType: 'Data', message: { data } });
}

export type SubscriptionAction = 'Subscribe' | 'Unsubscribe';

/** Digest of the V1 `Subscribe`/`Unsubscribe` struct over plain addresses. */
export function subscriptionV1Digest(
  domain: CommDomain,
  action: SubscriptionAction,
  channel: string,
  subscriber: string,
): Hex {
  const ch = parseEip155(channel, 'message.channel').address;
  const user = parseEip155(subscriber, 'message.subscriber').address;
  return action === 'Subscribe'
    ? hashTypedData({
        domain,
        types: SUBSCRIBE_V1_TYPES,
        primaryType: 'Subscribe',
        message: { channel: ch, subscriber: user, action },
      })
    : hashTypedData({
        domain,
        types: UNSUBSCRIBE_V1_TYPES,
        primaryType: 'Unsubscribe',
        message: { channel: ch, unsubscriber: user, action },
      });
}

/** Digest of the eip712v1 payload `Data` struct. */
export function payloadV1Digest(domain: CommDomain, message: PayloadV1Message): Hex {
  return hashTypedData({ domain, types: PAYLOAD_V1_TYPES, primaryType: 'Data', message });
}

/** Digest of the legacy `Payload{notification, data}` struct. */
export function legacySignedPayloadDigest(
  domain: CommDomain,
  notification: { title: string; body: string },
  data: PayloadV1Message,
): Hex {
  return hashTypedData({
    domain,
    types: LEGACY_SIGNED_PAYLOAD_TYPES,
    primaryType: 'Payload',
    message: { notification, data },
  });
}

/** The eip712v1 message from a payload's `data` object: the six fields as strings, absent ones empty. */
export function payloadV1Message(data: Record<string, unknown>): PayloadV1Message {
  const text = (key: string): string => {
    const v = own(data, key);
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    fail('PUSH_ERR_INVALID_PAYLOAD', `data.${key} must be a string for an eip712v1 proof`, `data.${key}`);
  };
  return {
    acta: text('acta'),
    aimg: text('aimg'),
    amsg: text('amsg'),
    asub: text('asub'),
    type: text('type'),
    secret: text('secret'),
  };
}

const MESSAGE = 'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE';
const MAX_MESSAGE_LENGTH = 16_384;

export interface SubscriptionMessage {
  action: SubscriptionAction;
  channel: Address;
  /** Chain id when the channel was written as a full CAIP, else null. */
  channelChainId: number | null;
  /** `subscriber` of a Subscribe, `unsubscriber` of an Unsubscribe. */
  subscriber: Address;
  /** Chain id when the subscriber was a full CAIP (pgpv4 bodies, V1 bodies), else null. */
  subscriberChainId: number | null;
}

export interface SubscribeMessageV2 extends SubscriptionMessage {
  /** The string exactly as received: this is what was signed. */
  raw: string;
  /** Minimal user settings (`<n>+…`) from a Subscribe; null when absent or empty. */
  userSetting: string | null;
}

/**
 * Parses the V2 body `message`: a JSON string `{channel, subscriber|unsubscriber, action, userSetting?}` (the SDK
 * pretty-prints it with 4 spaces). `expected` is the route's action; a message for the other route is refused so
 * a signed unsubscribe can never be replayed as a subscribe.
 */
export function parseSubscribeMessageV2(
  raw: unknown,
  expected: SubscriptionAction,
  field = 'message',
): SubscribeMessageV2 {
  if (typeof raw !== 'string') {
    fail(
      MESSAGE,
      `message must be the signed JSON string, got ${quote(raw)}`,
      field,
      'V1 bodies carry an object',
    );
  }
  if (raw.length > MAX_MESSAGE_LENGTH) fail(MESSAGE, `message is too long (${raw.length} characters)`, field);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    fail(MESSAGE, `message is not valid JSON (${err instanceof Error ? err.message : String(err)})`, field);
  }
  const base = readSubscription(value, expected, field);
  let userSetting: string | null = null;
  if (expected === 'Subscribe' && isPlainObject(value)) {
    const s = own(value, 'userSetting');
    if (s !== undefined && s !== null && typeof s !== 'string') {
      fail(MESSAGE, 'message.userSetting must be a string such as "2+1-1+2-1-75"', `${field}.userSetting`);
    }
    userSetting = typeof s === 'string' && s !== '' ? s : null;
  }
  return { ...base, raw, userSetting };
}

/** Parses the V1 body `message` object `{channel, subscriber|unsubscriber, action}` (CAIPs in the body). */
export function parseSubscribeMessageV1(
  message: unknown,
  expected: SubscriptionAction,
  field = 'message',
): SubscriptionMessage {
  return readSubscription(message, expected, field);
}

function readSubscription(value: unknown, expected: SubscriptionAction, field: string): SubscriptionMessage {
  if (!isPlainObject(value)) fail(MESSAGE, 'message must be a JSON object', field);
  const action = own(value, 'action');
  if (action !== 'Subscribe' && action !== 'Unsubscribe') {
    fail(
      MESSAGE,
      `message.action must be "Subscribe" or "Unsubscribe", got ${quote(action)}`,
      `${field}.action`,
    );
  }
  if (action !== expected) {
    fail(
      MESSAGE,
      `message.action is "${action}" but this is the ${expected.toLowerCase()} route`,
      `${field}.action`,
    );
  }
  const key = expected === 'Subscribe' ? 'subscriber' : 'unsubscriber';
  const other = expected === 'Subscribe' ? 'unsubscriber' : 'subscriber';
  if (Object.hasOwn(value, other))
    fail(MESSAGE, `a ${expected} message carries "${key}", not "${other}"`, `${field}.${other}`);
  if (!Object.hasOwn(value, key)) fail(MESSAGE, `message.${key} is required`, `${field}.${key}`);
  const channel = parseEip155(own(value, 'channel'), `${field}.channel`);
  const subscriber = parseEip155(own(value, key), `${field}.${key}`);
  return {
    action,
    channel: channel.address,
    channelChainId: channel.chainId,
    subscriber: subscriber.address,
    subscriberChainId: subscriber.chainId,
  };
}
