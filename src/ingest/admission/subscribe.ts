import type { Hex } from 'viem';
import { isPushError, pushError } from '../../errors.js';
import {
  commDomain,
  DATA_TYPES,
  isZeroAddress,
  parseEip155,
  parseProof,
  parseSubscribeMessageV1,
  parseSubscribeMessageV2,
  parseUserSettings,
  SUBSCRIBE_V1_TYPES,
  type SubscriptionAction,
  type SubscriptionMessage,
  UNSUBSCRIBE_V1_TYPES,
} from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import { lockChainWrites } from '../../store/locks.js';
import { channelSettingsOf } from '../../store/repos/feed-item.js';
import { createWriter, type Executor } from '../../store/writer.js';
import { applySubscription } from '../subscriptions.js';
import { canonicalSignature, type VerifierPool } from '../verify/index.js';
import type { AdmissionChain, ChainClient } from './chain-client.js';
import { resolveChannel } from './gate.js';
import type { RateLimiter } from './rate-limit.js';
import { checkTypedSigner, pgpProofRefused } from './signer.js';

/**
 * What keys a signed opt-in command (its input key and tie-break order): an account key's signature in canonical form,
 * so its malleable twin (high s) is the same command; a contract wallet's (accepted through ERC-1271: longer than 65
 * bytes, or a wallet-specific `v`) as sent, lower-case.
 */
function commandSignatureKey(signature: Hex): string {
  try {
    return canonicalSignature(signature);
  } catch (err) {
    if (isPushError(err, 'PUSH_ERR_SIGNATURE_INVALID')) return signature.toLowerCase();
    throw err;
  }
}

/** The body of `POST /apis/v1/channels/:channel/subscribe|unsubscribe` (SDK contract §2.7). */
export interface SubscriptionBody {
  verificationProof: unknown;
  /** V2: the signed 4-space JSON string; V1: the object `{channel, subscriber|unsubscriber, action}`. */
  message: unknown;
  origin?: unknown;
}

export interface SubscriptionResult {
  /** `applied`: the state changed; `unchanged`: it already was so, or a newer command stands. */
  status: 'applied' | 'unchanged';
  channel: string;
  subscriber: string;
  subscribed: boolean;
  settings: string | null;
}

export interface SubscriptionDoorDeps {
  db: Executor;
  store: Store;
  coreChainId: number;
  chainOf(chainId: number, field: string): AdmissionChain;
  clients: Map<number, ChainClient>;
  verifier?: VerifierPool | undefined;
  ipLimiter: RateLimiter | null;
  now: () => number;
}

/**
 * Signed opt-ins and opt-outs. The command's time is the receipt time (the V1/V2 messages carry none), and it goes
 * through the same last-writer-wins path as on-chain Subscribe/Unsubscribe.
 *
 * Replay: the SDK's messages carry no nonce or time, and signatures are deterministic, so a user who subscribes,
 * unsubscribes and subscribes again sends the very same proof twice. The node therefore cannot refuse a known proof;
 * a replayed proof can only re-assert what its signer once asked for (never another user's or channel's opt-in).
 */
export function createSubscriptionDoor(deps: SubscriptionDoorDeps) {
  async function apply(
    action: SubscriptionAction,
    channelCaip: string,
    body: SubscriptionBody,
    meta: { ip?: string | undefined; receivedAt?: number | undefined },
  ): Promise<SubscriptionResult> {
    if (body === null || typeof body !== 'object') {
      throw pushError('PUSH_ERR_VALIDATION', 'The body must be a JSON object', { field: 'body' });
    }
    if (meta.ip && deps.ipLimiter) deps.ipLimiter.take(meta.ip);
    const url = parseEip155(channelCaip, 'channel');
    if (url.chainId === null) {
      throw pushError('PUSH_ERR_INVALID_CAIP', 'The channel must be a full CAIP eip155:<chainId>:0x…', {
        field: 'channel',
        hint: 'its chain id selects the EIP-712 domain',
      });
    }
    const chain = deps.chainOf(url.chainId, 'channel');
    const domain = commDomain(url.chainId, chain.signingComm ?? chain.comm);
    const proof = parseProof(body.verificationProof, 'verificationProof');

    let msg: SubscriptionMessage;
    let userSetting: string | null = null;
    let typed: Parameters<typeof checkTypedSigner>[0]['typed'];
    let signature: Hex;
    if (proof.kind === 'eip712v2') {
      const v2 = parseSubscribeMessageV2(body.message, action, 'message');
      msg = v2;
      userSetting = v2.userSetting;
      // The string as received is what was signed: never re-serialised.
      typed = { domain, types: DATA_TYPES, primaryType: 'Data', message: { data: v2.raw } };
      signature = proof.signature;
    } else if (proof.kind === 'eip712') {
      msg = parseSubscribeMessageV1(body.message, action, 'message');
      typed =
        action === 'Subscribe'
          ? {
              domain,
              types: SUBSCRIBE_V1_TYPES,
              primaryType: 'Subscribe',
              message: { channel: msg.channel, subscriber: msg.subscriber, action },
            }
          : {
              domain,
              types: UNSUBSCRIBE_V1_TYPES,
              primaryType: 'Unsubscribe',
              message: { channel: msg.channel, unsubscriber: msg.subscriber, action },
            };
      signature = proof.signature;
    } else if (proof.kind === 'pgpv4') {
      throw pgpProofRefused();
    } else {
      throw pushError('PUSH_ERR_UNSUPPORTED_PROOF', `${proof.kind} proofs do not sign subscriptions`, {
        field: 'verificationProof',
        hint: 'use eip712v2:<sig> over the message string, or a bare V1 signature',
      });
    }
    if (msg.channel !== url.address || (msg.channelChainId !== null && msg.channelChainId !== url.chainId)) {
      throw pushError(
        'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
        `message.channel is not the channel ${channelCaip} of the URL`,
        {
          field: 'message.channel',
        },
      );
    }
    if (isZeroAddress(msg.channel) || isZeroAddress(msg.subscriber)) {
      throw pushError('PUSH_ERR_VALIDATION', 'The zero address cannot subscribe or be subscribed to', {
        field: 'message',
      });
    }
    const { channel } = await resolveChannel(deps.db, deps.coreChainId, url.chainId, url.address, 'channel');
    const { signer } = await checkTypedSigner({
      typed,
      signature,
      accounts: [msg.subscriber],
      verifier: deps.verifier,
      chain: deps.clients.get(url.chainId),
      field: 'verificationProof',
    });

    let settings: string | null = null;
    if (action === 'Subscribe' && userSetting) {
      const channelSettings = channelSettingsOf(channel.settings_raw, channel.settings_description);
      if (channelSettings && channelSettings.length > 0) {
        parseUserSettings(userSetting, channelSettings, 'message.userSetting');
        settings = userSetting;
      }
    }
    const origin = typeof body.origin === 'string' && body.origin.length <= 255 ? body.origin : null;
    const ts = meta.receivedAt ?? deps.now();
    const proofText = String(body.verificationProof);
    const subscribed = action === 'Subscribe';
    const signatureKey = commandSignatureKey(signature);
    const applied = await deps.store.db.transaction().execute(async (tx) => {
      // A reorg rollback re-derives opt-in state from the command history: on Postgres, where transactions overlap,
      // this command must not read that history while a rollback is rewriting it (nor the other way round).
      await lockChainWrites(tx, deps.store.dialect);
      await tx
        .insertInto('inputs')
        .values({
          key: `${action.toLowerCase()}:${signatureKey}:${ts}`,
          kind: 'http',
          event: action,
          chain_id: url.chainId,
          block_number: null,
          block_hash: null,
          log_index: null,
          tx_hash: null,
          body: JSON.stringify({
            channel: channelCaip,
            verificationProof: proofText,
            // What was signed: the V2 string as received; of a V1 object, its typed fields (anything else in it is
            // unsigned, and a deeply nested extra overflowed JSON.stringify: a 500 after a valid signature).
            message: proof.kind === 'eip712v2' ? body.message : typed.message,
            origin,
          }),
          ts,
          created_at: deps.now(),
        })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      return applySubscription(createWriter(tx, null), {
        channel: channel.channel,
        subscriber: signer,
        subscribed,
        settingsRaw: settings,
        ts,
        order: `h:${signatureKey}`,
        proof: proofText,
        origin,
        chainId: url.chainId,
      });
    });
    return {
      status: applied ? 'applied' : 'unchanged',
      channel: channel.channel,
      subscriber: signer,
      subscribed,
      settings,
    };
  }
  return { apply };
}
