import { ethers } from 'ethers';
import fc from 'fast-check';
import { getAddress, recoverAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { errorOf, onlyPushErrors } from '../../test/support/push-errors.js';
import {
  COMM_DOMAIN_NAME,
  commDomain,
  DATA_TYPES,
  dataDigest,
  LEGACY_SIGNED_PAYLOAD_TYPES,
  legacySignedPayloadDigest,
  PAYLOAD_V1_TYPES,
  parseSubscribeMessageV1,
  parseSubscribeMessageV2,
  payloadV1Digest,
  payloadV1Message,
  SUBSCRIBE_V1_TYPES,
  subscriptionV1Digest,
  UNSUBSCRIBE_V1_TYPES,
} from './eip712.js';

const FC = { seed: 10_006, numRuns: 200 };
// Hardhat's first default account: a well-known test key, never used for value.
const PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const account = privateKeyToAccount(PRIVATE_KEY);
const COMM_SEPOLIA = '0x9dDCD7ed7151afab43044E4D694FA064742C428c';
const CHANNEL = getAddress('0x0542d6e5d5e8b56b8e1b0a3c2c2e5a6b7c8d1f99');
const domain = commDomain(11155111, COMM_SEPOLIA);

describe('domain and digests', () => {
  it('builds the Comm domain without a version', () => {
    expect(domain).toEqual({
      name: COMM_DOMAIN_NAME,
      chainId: 11155111,
      verifyingContract: COMM_SEPOLIA.toLowerCase(),
    });
    expect('version' in domain).toBe(false);
    expect(errorOf(() => commDomain(0, COMM_SEPOLIA)).field).toBe('chainId');
    expect(errorOf(() => commDomain(1, '0x12')).code).toBe('PUSH_ERR_INVALID_CAIP');
  });

  it('matches the digest ethers v5 (the SDK signer) computes for Data{data}', () => {
    const identity = '2+{"notification":{"title":"t","body":"b"},"data":{"type":"1"}}';
    const viaEthers = ethers.utils._TypedDataEncoder.hash(
      { name: COMM_DOMAIN_NAME, chainId: 11155111, verifyingContract: COMM_SEPOLIA },
      { Data: [{ name: 'data', type: 'string' }] },
      { data: identity },
    );
    expect(dataDigest(domain, identity)).toBe(viaEthers);
  });

  it('recovers an ethers v5 _signTypedData signature (what the SDK sends) through dataDigest', async () => {
    const wallet = new ethers.Wallet(PRIVATE_KEY);
    const identity = '0+3+Title+Body';
    const signature = await wallet._signTypedData(
      { name: COMM_DOMAIN_NAME, chainId: 11155111, verifyingContract: COMM_SEPOLIA },
      { Data: [{ name: 'data', type: 'string' }] },
      { data: identity },
    );
    const recovered = await recoverAddress({
      hash: dataDigest(domain, identity),
      signature: signature as `0x${string}`,
    });
    expect(recovered).toBe(account.address);
  });

  it('recovers viem signTypedData signatures for every type', async () => {
    const data = '2+{"a":"1+2"}';
    const sigData = await account.signTypedData({
      domain,
      types: DATA_TYPES,
      primaryType: 'Data',
      message: { data },
    });
    expect(await recoverAddress({ hash: dataDigest(domain, data), signature: sigData })).toBe(
      account.address,
    );

    const sub = await account.signTypedData({
      domain,
      types: SUBSCRIBE_V1_TYPES,
      primaryType: 'Subscribe',
      message: { channel: CHANNEL, subscriber: account.address, action: 'Subscribe' },
    });
    // The V1 body carries CAIPs; the digest strips them.
    const subHash = subscriptionV1Digest(
      domain,
      'Subscribe',
      `eip155:11155111:${CHANNEL}`,
      `eip155:11155111:${account.address}`,
    );
    expect(await recoverAddress({ hash: subHash, signature: sub })).toBe(account.address);

    const unsub = await account.signTypedData({
      domain,
      types: UNSUBSCRIBE_V1_TYPES,
      primaryType: 'Unsubscribe',
      message: { channel: CHANNEL, unsubscriber: account.address, action: 'Unsubscribe' },
    });
    const unsubHash = subscriptionV1Digest(domain, 'Unsubscribe', CHANNEL, account.address);
    expect(await recoverAddress({ hash: unsubHash, signature: unsub })).toBe(account.address);
    expect(unsubHash).not.toBe(subscriptionV1Digest(domain, 'Subscribe', CHANNEL, account.address));

    const v1 = payloadV1Message({ acta: 'https://x', aimg: '', amsg: 'm', asub: 's', type: 3 });
    expect(v1).toEqual({ acta: 'https://x', aimg: '', amsg: 'm', asub: 's', type: '3', secret: '' });
    const sigV1 = await account.signTypedData({
      domain,
      types: PAYLOAD_V1_TYPES,
      primaryType: 'Data',
      message: v1,
    });
    expect(await recoverAddress({ hash: payloadV1Digest(domain, v1), signature: sigV1 })).toBe(
      account.address,
    );

    const notification = { title: 'T', body: 'B' };
    const sigLegacy = await account.signTypedData({
      domain,
      types: LEGACY_SIGNED_PAYLOAD_TYPES,
      primaryType: 'Payload',
      message: { notification, data: v1 },
    });
    const legacyHash = legacySignedPayloadDigest(domain, notification, v1);
    expect(await recoverAddress({ hash: legacyHash, signature: sigLegacy })).toBe(account.address);
  });

  it('a signature for one chain or string does not recover to the signer on another', async () => {
    const sig = await account.signTypedData({
      domain,
      types: DATA_TYPES,
      primaryType: 'Data',
      message: { data: 'x' },
    });
    const other = commDomain(80002, COMM_SEPOLIA);
    expect(await recoverAddress({ hash: dataDigest(other, 'x'), signature: sig })).not.toBe(account.address);
    expect(await recoverAddress({ hash: dataDigest(domain, 'x '), signature: sig })).not.toBe(
      account.address,
    );
  });

  it('recovers for arbitrary signed strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), async (data) => {
        const signature = await account.signTypedData({
          domain,
          types: DATA_TYPES,
          primaryType: 'Data',
          message: { data },
        });
        expect(await recoverAddress({ hash: dataDigest(domain, data), signature })).toBe(account.address);
      }),
      { seed: 10_007, numRuns: 25 },
    );
  });
});

describe('subscribe messages', () => {
  const v2 = (body: Record<string, unknown>) => JSON.stringify(body, null, 4);

  it('parses the SDK V2 subscribe string and keeps it raw', () => {
    const raw = v2({ channel: CHANNEL, subscriber: account.address, action: 'Subscribe', userSetting: '' });
    expect(raw).toContain('\n    "channel": ');
    expect(parseSubscribeMessageV2(raw, 'Subscribe')).toEqual({
      raw,
      action: 'Subscribe',
      channel: CHANNEL.toLowerCase(),
      channelChainId: null,
      subscriber: account.address.toLowerCase(),
      subscriberChainId: null,
      userSetting: null,
    });
    const withSettings = v2({
      channel: CHANNEL,
      subscriber: account.address,
      action: 'Subscribe',
      userSetting: '2+1-1+2-1-75',
    });
    expect(parseSubscribeMessageV2(withSettings, 'Subscribe').userSetting).toBe('2+1-1+2-1-75');
  });

  it('parses unsubscribe and the pgpv4 form with a full-CAIP subscriber', () => {
    const raw = v2({
      channel: CHANNEL,
      unsubscriber: `eip155:11155111:${account.address}`,
      action: 'Unsubscribe',
    });
    expect(parseSubscribeMessageV2(raw, 'Unsubscribe')).toMatchObject({
      action: 'Unsubscribe',
      subscriber: account.address.toLowerCase(),
      subscriberChainId: 11155111,
      userSetting: null,
    });
  });

  it('verifies the raw string, not a re-serialisation', async () => {
    const raw = v2({ channel: CHANNEL, subscriber: account.address, action: 'Subscribe', userSetting: '' });
    const signature = await account.signTypedData({
      domain,
      types: DATA_TYPES,
      primaryType: 'Data',
      message: { data: raw },
    });
    const msg = parseSubscribeMessageV2(raw, 'Subscribe');
    expect(await recoverAddress({ hash: dataDigest(domain, msg.raw), signature })).toBe(account.address);
    expect(
      await recoverAddress({ hash: dataDigest(domain, JSON.stringify(JSON.parse(raw))), signature }),
    ).not.toBe(account.address);
  });

  it.each([
    [
      JSON.stringify({ channel: CHANNEL, subscriber: CHANNEL, action: 'Unsubscribe' }),
      'Subscribe',
      'subscribe route',
    ],
    [
      JSON.stringify({ channel: CHANNEL, unsubscriber: CHANNEL, action: 'Subscribe' }),
      'Subscribe',
      'not "unsubscriber"',
    ],
    [
      JSON.stringify({ channel: CHANNEL, action: 'Subscribe' }),
      'Subscribe',
      'message.subscriber is required',
    ],
    [
      JSON.stringify({ channel: CHANNEL, subscriber: CHANNEL, action: 'Join' }),
      'Subscribe',
      '"Subscribe" or "Unsubscribe"',
    ],
    [
      JSON.stringify({ channel: CHANNEL, subscriber: CHANNEL, action: 'Subscribe', userSetting: 5 }),
      'Subscribe',
      'userSetting',
    ],
    ['{"channel":', 'Subscribe', 'not valid JSON'],
    ['"just a string"', 'Subscribe', 'must be a JSON object'],
  ] as const)('rejects %j on the %s route', (raw, route, fragment) => {
    const err = errorOf(() => parseSubscribeMessageV2(raw, route));
    expect(err.code).toBe('PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE');
    expect(err.message).toContain(fragment);
  });

  it('reports a bad address in the message as an invalid CAIP with the field', () => {
    const err = errorOf(() =>
      parseSubscribeMessageV2(
        JSON.stringify({ channel: '0x12', subscriber: CHANNEL, action: 'Subscribe' }),
        'Subscribe',
      ),
    );
    expect(err.code).toBe('PUSH_ERR_INVALID_CAIP');
    expect(err.field).toBe('message.channel');
  });

  it('refuses a V1 object where the V2 string is expected', () => {
    expect(errorOf(() => parseSubscribeMessageV2({ channel: CHANNEL }, 'Subscribe')).hint).toContain('V1');
  });

  it('parses the V1 object body with CAIPs', () => {
    expect(
      parseSubscribeMessageV1(
        {
          channel: `eip155:11155111:${CHANNEL}`,
          subscriber: `eip155:11155111:${account.address}`,
          action: 'Subscribe',
        },
        'Subscribe',
      ),
    ).toEqual({
      action: 'Subscribe',
      channel: CHANNEL.toLowerCase(),
      channelChainId: 11155111,
      subscriber: account.address.toLowerCase(),
      subscriberChainId: 11155111,
    });
  });

  it('throws only PushError for arbitrary strings', () => {
    const noise = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record(
          {
            channel: fc.oneof(fc.constant(CHANNEL), fc.string()),
            subscriber: fc.oneof(fc.constant(CHANNEL), fc.string()),
            unsubscriber: fc.string(),
            action: fc.constantFrom('Subscribe', 'Unsubscribe', 'x'),
            userSetting: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o, null, 4)),
    );
    fc.assert(
      fc.property(
        noise,
        onlyPushErrors((s) => parseSubscribeMessageV2(s, 'Subscribe')),
      ),
      FC,
    );
    fc.assert(
      fc.property(
        noise,
        onlyPushErrors((s) => parseSubscribeMessageV2(s, 'Unsubscribe')),
      ),
      FC,
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyPushErrors(() => parseSubscribeMessageV1(v, 'Subscribe'))('')),
      FC,
    );
  });
});
