import { utils as ethersUtils, Wallet } from 'ethers';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import type { Secp256k1Backend } from './recover.js';
import { verifyTypedSignature } from './verify-typed.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const CHANNEL_KEY = '0x0123456789012345678901234567890123456789012345678901234567890123';
const USER_KEY = '0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f';
const channel = privateKeyToAccount(CHANNEL_KEY);
const user = privateKeyToAccount(USER_KEY);

const domain = {
  name: 'EPNS COMM V1',
  chainId: 11155111,
  verifyingContract: '0x9dDCD7ed7151afab43044E4D694FA064742C428c',
} as const;
const DATA = { Data: [{ name: 'data', type: 'string' }] } as const;
const SUBSCRIBE = {
  Subscribe: [
    { name: 'channel', type: 'address' },
    { name: 'subscriber', type: 'address' },
    { name: 'action', type: 'string' },
  ],
} as const;
const UNSUBSCRIBE = {
  Unsubscribe: [
    { name: 'channel', type: 'address' },
    { name: 'unsubscriber', type: 'address' },
    { name: 'action', type: 'string' },
  ],
} as const;

const identity =
  '2+{"notification":{"title":"Hi","body":"There"},"data":{"acta":"","aimg":"","amsg":"There","asub":"Hi","type":"3"},"recipients":{"0x52908400098527886e0f7030069857d2e4169ee7":null}}';
const subscribeV2 = JSON.stringify(
  {
    channel: `eip155:11155111:${channel.address}`,
    subscriber: `eip155:11155111:${user.address}`,
    action: 'Subscribe',
  },
  null,
  4,
);

describe.each<Secp256k1Backend>(['native', 'noble'])('verifyTypedSignature (%s)', (backend) => {
  it('a send (Data{data: identity}) signed with viem recovers to the channel', async () => {
    const message = { data: identity };
    const signature = await channel.signTypedData({ domain, types: DATA, primaryType: 'Data', message });
    expect(
      verifyTypedSignature({ domain, types: DATA, primaryType: 'Data', message, signature }, { backend }),
    ).toBe(channel.address.toLowerCase());
  });

  it('a V2 subscribe (Data{data: 4-space JSON}) recovers to the subscriber', async () => {
    const message = { data: subscribeV2 };
    const signature = await user.signTypedData({ domain, types: DATA, primaryType: 'Data', message });
    expect(
      verifyTypedSignature({ domain, types: DATA, primaryType: 'Data', message, signature }, { backend }),
    ).toBe(user.address.toLowerCase());
  });

  it('V1 Subscribe and Unsubscribe recover to the user', async () => {
    const sub = { channel: channel.address, subscriber: user.address, action: 'Subscribe' };
    const subSig = await user.signTypedData({
      domain,
      types: SUBSCRIBE,
      primaryType: 'Subscribe',
      message: sub,
    });
    expect(
      verifyTypedSignature(
        { domain, types: SUBSCRIBE, primaryType: 'Subscribe', message: sub, signature: subSig },
        { backend },
      ),
    ).toBe(user.address.toLowerCase());
    const unsub = { channel: channel.address, unsubscriber: user.address, action: 'Unsubscribe' };
    const unsubSig = await user.signTypedData({
      domain,
      types: UNSUBSCRIBE,
      primaryType: 'Unsubscribe',
      message: unsub,
    });
    // the node verifies with the addresses as received, whatever their case
    const received = {
      ...unsub,
      channel: unsub.channel.toLowerCase(),
      unsubscriber: unsub.unsubscriber.toUpperCase().replace('0X', '0x'),
    };
    expect(
      verifyTypedSignature(
        { domain, types: UNSUBSCRIBE, primaryType: 'Unsubscribe', message: received, signature: unsubSig },
        { backend },
      ),
    ).toBe(user.address.toLowerCase());
  });

  it('a signature by ethers v5 (the SDK signer) verifies, and agrees with ethers on the high-s twin', async () => {
    const wallet = new Wallet(CHANNEL_KEY);
    const message = { data: identity };
    const signature = (await wallet._signTypedData(
      domain,
      { Data: [...DATA.Data] },
      message,
    )) as `0x${string}`;
    const input = { domain, types: DATA, primaryType: 'Data', message, signature };
    expect(verifyTypedSignature(input, { backend })).toBe(wallet.address.toLowerCase());

    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = Number.parseInt(signature.slice(130), 16);
    const twin =
      `${signature.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as `0x${string}`;
    expect(ethersUtils.verifyTypedData(domain, { Data: [...DATA.Data] }, message, twin).toLowerCase()).toBe(
      wallet.address.toLowerCase(),
    );
    expect(verifyTypedSignature({ ...input, signature: twin }, { backend })).toBe(
      wallet.address.toLowerCase(),
    );
  });

  it('a tampered message recovers someone else; a malformed signature throws', async () => {
    const message = { data: identity };
    const signature = await channel.signTypedData({ domain, types: DATA, primaryType: 'Data', message });
    const other = verifyTypedSignature(
      { domain, types: DATA, primaryType: 'Data', message: { data: `${identity} ` }, signature },
      { backend },
    );
    expect(other).not.toBe(channel.address.toLowerCase());
    const otherChain = verifyTypedSignature(
      { domain: { ...domain, chainId: 1 }, types: DATA, primaryType: 'Data', message, signature },
      { backend },
    );
    expect(otherChain).not.toBe(channel.address.toLowerCase());
    expect(() =>
      verifyTypedSignature(
        {
          domain,
          types: DATA,
          primaryType: 'Data',
          message,
          signature: signature.slice(0, 100) as `0x${string}`,
        },
        { backend },
      ),
    ).toThrow(expect.objectContaining({ code: 'PUSH_ERR_SIGNATURE_INVALID' }));
  });
});
