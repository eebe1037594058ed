import pino, { type Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ChainLog, Hex } from '../../chains/types.js';
import { isPushError, pushError } from '../../errors.js';
import {
  commDomain,
  DATA_TYPES,
  PAYLOAD_V1_TYPES,
  parseEip155,
  parseIdentity,
  parseProof,
  parseSource,
  payloadV1Message,
  rewriteLegacyIdentity,
} from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import type { NotificationBus } from '../bus.js';
import { chainInputKey } from '../chain/inputs.js';
import type { ChainNotificationDoor } from '../chain/sink.js';
import { type TypedDataInput, type VerifierPool, verifyTypedSignature } from '../verify/index.js';
import { createGroupCommit } from './batcher.js';
import { type AdmissionChain, type ChainClient, createChainClient } from './chain-client.js';
import { createChainDoor } from './chain-door.js';
import { type ContentIpfs, type ContentSubgraph, resolveContent } from './content.js';
import { createContentRetry } from './content-retry.js';
import { assertChannelCanSend, isDelegate, resolveChannel } from './gate.js';
import { createNotificationStore, type ProvenLog } from './notification-store.js';
import {
  type AdmitResult,
  asResult,
  type BatchAnswer,
  checkPayloadShape,
  createPayloadBatch,
  FULL_PATH,
  MAX_BATCH_ITEMS,
  type PreparedPayload,
} from './payload-batch.js';
import { type BucketPolicy, createRateLimiter } from './rate-limit.js';
import { checkTypedSigner, pgpProofRefused } from './signer.js';
import { createSubscriptionDoor, type SubscriptionBody, type SubscriptionResult } from './subscribe.js';

export interface AdmissionLimits {
  /** Longest accepted `identity` (bytes of UTF-8). Default 256 KiB (a 1,000-recipient subset fits). */
  maxIdentityBytes: number;
  /** Token bucket per client IP (checked before any work), or null for none. */
  perIp: BucketPolicy | null;
  /** Token bucket per core channel (checked after the signature, so forgeries cannot drain it), or null. */
  perChannel: BucketPolicy | null;
  /** Background content retries: backoff and the attempt after which a notification is marked failed. */
  contentRetry: { baseMs: number; maxMs: number; maxAttempts: number; intervalMs: number; batch: number };
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  maxIdentityBytes: 256 * 1024,
  perIp: { capacity: 200, refillPerSecond: 100 },
  perChannel: { capacity: 100, refillPerSecond: 50 },
  contentRetry: { baseMs: 5_000, maxMs: 15 * 60_000, maxAttempts: 12, intervalMs: 1_000, batch: 50 },
};

export interface AdmissionDeps {
  store: Store;
  coreChainId: number;
  /** Every chain this node serves: its Comm (EIP-712 domain), RPC URLs (receipts, ERC-1271) and NPIP block. */
  chains: AdmissionChain[];
  verifier?: VerifierPool;
  ipfs?: ContentIpfs;
  subgraph?: ContentSubgraph;
  bus: NotificationBus;
  logger?: Logger;
  registry?: Registry;
  limits?: Partial<AdmissionLimits>;
  now?: () => number;
  /** The node's public base URL: feed items link data-URI channel icons to its icon route. */
  publicUrl?: string;
  /** Override the RPC readers (tests); default: one viem client per chain with rpcUrls. */
  chainClients?: Map<number, ChainClient>;
}

/** The body of `POST /apis/v1/payloads` (SDK contract §2.10). */
export interface PayloadBody {
  verificationProof: unknown;
  sender: unknown;
  recipient: unknown;
  source: unknown;
  identity: unknown;
}

export interface RequestMeta {
  ip?: string | undefined;
  /** ms; default now. For signed requests this is the notification's (or opt-in's) time. */
  receivedAt?: number | undefined;
}

export type { AdmitResult } from './payload-batch.js';

export interface NotificationState {
  id: number;
  status: 'admitted' | 'pending_content' | 'failed';
  attempts: number;
  nextAttemptAt: number | null;
  error: string | null;
}

export interface Admission {
  admitPayload(body: PayloadBody, meta?: RequestMeta): Promise<AdmitResult>;
  /** A recorded log on its own, in its own transaction (the indexer goes through `chainDoor`). */
  admitChainNotification(log: ChainLog): Promise<AdmitResult | null>;
  /** The chain sink's door: admits each SendNotification inside the batch's transaction, in log order. */
  chainDoor: ChainNotificationDoor;
  subscribe(channel: string, body: SubscriptionBody, meta?: RequestMeta): Promise<SubscriptionResult>;
  unsubscribe(channel: string, body: SubscriptionBody, meta?: RequestMeta): Promise<SubscriptionResult>;
  /**
   * A notification's state by its id, or by its request's key (an off-chain request's `verificationProof`, or its
   * chain log's key): the key stays while a pending notification gets a fresh id when its content arrives.
   */
  notificationState(idOrKey: number | string): Promise<NotificationState | null>;
  /** Runs one round of content retries now (also what the background timer does). Returns how many were tried. */
  retryPendingContent(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') {
    throw pushError('PUSH_ERR_VALIDATION', `${name} is required and must be a string`, { field: name });
  }
  return v;
}

/**
 * The admission pipeline: every notification and every opt-in, whatever door it comes through, is verified,
 * resolved, filed and announced here. See `index.ts` for the contract the doors rely on.
 */
export function createAdmission(deps: AdmissionDeps): Admission {
  const logger = deps.logger ?? pino({ level: 'silent' });
  const now = deps.now ?? Date.now;
  const publicUrl = deps.publicUrl ?? 'http://localhost:4000';
  const limits: AdmissionLimits = { ...DEFAULT_ADMISSION_LIMITS, ...deps.limits };
  const db = deps.store.db;
  const chains = new Map(deps.chains.map((c) => [c.chainId, c]));
  const clients = new Map<number, ChainClient>(deps.chainClients ?? []);
  for (const c of deps.chains)
    if (!clients.has(c.chainId) && c.rpcUrls.length > 0) clients.set(c.chainId, createChainClient(c));
  const ipLimiter = limits.perIp ? createRateLimiter(limits.perIp, 'client IP') : null;
  const channelLimiter = limits.perChannel ? createRateLimiter(limits.perChannel, 'channel') : null;

  const registry = deps.registry;
  const batchItems = new Histogram({
    name: 'push_node_admission_batch_items',
    help: 'Off-chain payloads admitted together in one store transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: registry ? [registry] : [],
  });
  const admitted = new Counter({
    name: 'push_node_admission_total',
    help: 'Admission requests by door and result (admitted, pending_content, duplicate, or the error code)',
    labelNames: ['door', 'result'] as const,
    registers: registry ? [registry] : [],
  });
  const duration = new Histogram({
    name: 'push_node_admission_duration_seconds',
    help: 'Time to admit one request, by door',
    labelNames: ['door'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    registers: registry ? [registry] : [],
  });

  function chainOf(chainId: number, fieldName: string): AdmissionChain {
    const c = chains.get(chainId);
    if (!c) {
      throw pushError('PUSH_ERR_CHAIN_NOT_SUPPORTED', `Chain ${chainId} is not configured on this node`, {
        field: fieldName,
        details: { chainId, configured: [...chains.keys()] },
      });
    }
    return c;
  }

  const runPayloadBatch = createPayloadBatch({
    store: deps.store,
    coreChainId: deps.coreChainId,
    channelLimiter,
    bus: deps.bus,
    now,
    publicUrl,
    logger,
  });
  const batcher = createGroupCommit<PreparedPayload, BatchAnswer>({
    maxItems: MAX_BATCH_ITEMS,
    run: (items) => {
      batchItems.observe(items.length);
      return runPayloadBatch(items);
    },
  });

  const notifications = createNotificationStore({
    store: deps.store,
    bus: deps.bus,
    publicUrl,
    contentRetry: limits.contentRetry,
    now,
  });
  const { existing, store } = notifications;
  const retry = createContentRetry({
    store: deps.store,
    bus: deps.bus,
    notifications,
    ipfs: deps.ipfs,
    subgraph: deps.subgraph,
    limits,
    publicUrl,
    logger,
    now,
  });
  const { chainDoor, admitChainNotification } = createChainDoor({
    store: deps.store,
    coreChainId: deps.coreChainId,
    chainOf,
    notifications,
    bus: deps.bus,
    publicUrl,
    logger,
    now,
    metrics: { admitted, duration },
    retryPendingContent: retry.retryPendingContent,
  });

  async function measured<T>(door: string, fn: () => Promise<T>, resultOf: (r: T) => string): Promise<T> {
    const end = duration.startTimer({ door });
    try {
      const r = await fn();
      admitted.inc({ door, result: resultOf(r) });
      return r;
    } catch (err) {
      admitted.inc({ door, result: isPushError(err) ? err.code : 'PUSH_ERR_INTERNAL' });
      throw err;
    } finally {
      end();
    }
  }

  /** Every check of a payload request that needs neither the store nor the network; throws the first refusal. */
  function parsePayload(body: PayloadBody, meta: RequestMeta) {
    if (body === null || typeof body !== 'object') {
      throw pushError('PUSH_ERR_VALIDATION', 'The body must be a JSON object', { field: 'body' });
    }
    if (meta.ip && ipLimiter) ipLimiter.take(meta.ip);
    const b = body as unknown as Record<string, unknown>;
    const proofText = field(b, 'verificationProof');
    const identityText = field(b, 'identity');
    const senderText = field(b, 'sender');
    const sourceText = field(b, 'source');
    const recipientText = field(b, 'recipient');
    if (Buffer.byteLength(identityText) > limits.maxIdentityBytes) {
      throw pushError('PUSH_ERR_BODY_TOO_LARGE', `identity is larger than ${limits.maxIdentityBytes} bytes`, {
        field: 'identity',
        hint: 'pin large payloads to IPFS and send 1+<cid>',
      });
    }
    const proof = parseProof(proofText, 'verificationProof');
    if (proof.kind === 'pgpv4') {
      throw pgpProofRefused();
    }
    if (proof.kind === 'eip712') {
      throw pushError(
        'PUSH_ERR_UNSUPPORTED_PROOF',
        'bare eip712 proofs sign subscriptions, not notifications',
        {
          field: 'verificationProof',
          hint: 'use eip712v2:<sig> over {data: identity}',
        },
      );
    }
    const source = parseSource(sourceText, 'source');
    const sender = parseEip155(senderText, 'sender');
    if (sender.chainId === null) {
      throw pushError('PUSH_ERR_INVALID_CAIP', 'sender must be a full CAIP eip155:<chainId>:0x…', {
        field: 'sender',
      });
    }
    if (source.kind === 'chain' && source.chainId !== sender.chainId) {
      throw pushError(
        'PUSH_ERR_SOURCE_MISMATCH',
        `source ${source.source} is chain ${source.chainId} but sender is on chain ${sender.chainId}`,
        { field: 'source' },
      );
    }
    if (source.kind === 'special' && source.source !== 'THE_GRAPH') {
      throw pushError('PUSH_ERR_INVALID_SOURCE', `source ${source.source} is not accepted by this node`, {
        field: 'source',
      });
    }
    if (source.kind === 'special' && (proof.kind !== 'thegraph' || sender.chainId !== deps.coreChainId)) {
      throw pushError(
        'PUSH_ERR_SOURCE_MISMATCH',
        'THE_GRAPH notifications carry a thegraph proof from a core-chain channel',
        { field: 'source' },
      );
    }
    if (proof.kind !== 'thegraph' && source.kind === 'special') throw pushError('PUSH_ERR_SOURCE_MISMATCH');
    const chain = chainOf(sender.chainId, 'sender');
    // Subset requests name the channel; a legacy subset names a comma-separated list (read from the payload).
    const recipient = recipientText.includes(',') ? null : parseEip155(recipientText, 'recipient').address;
    const identity = parseIdentity(identityText, 'identity');
    return {
      proofText,
      identityText,
      senderText,
      sourceText,
      recipientText,
      proof,
      sender: { chainId: sender.chainId, address: sender.address },
      chain,
      recipient,
      identity,
      ts: meta.receivedAt ?? now(),
    };
  }

  type ParsedPayload = ReturnType<typeof parsePayload>;

  /** The EIP-712 data an eip712v2 / eip712v1 proof signs. Throws UNSUPPORTED_PROOF for v1 over a non-inline payload. */
  // One frozen domain per chain: the digest caches its separator by identity.
  const domains = new Map<number, TypedDataInput['domain']>();
  function domainOf(chain: AdmissionChain): TypedDataInput['domain'] {
    let d = domains.get(chain.chainId);
    if (!d) {
      d = Object.freeze(commDomain(chain.chainId, chain.signingComm ?? chain.comm));
      domains.set(chain.chainId, d);
    }
    return d;
  }

  function typedDataOf(p: ParsedPayload): TypedDataInput {
    const domain = domainOf(p.chain);
    if (p.proof.kind === 'eip712v2') {
      return { domain, types: DATA_TYPES, primaryType: 'Data', message: { data: p.identityText } };
    }
    if (p.identity.storageType !== 2) {
      throw pushError('PUSH_ERR_UNSUPPORTED_PROOF', 'eip712v1 proofs sign an inline payload (2+<json>)', {
        field: 'verificationProof',
      });
    }
    const data = p.identity.payload.data;
    return {
      domain,
      types: PAYLOAD_V1_TYPES,
      primaryType: 'Data',
      message: { ...payloadV1Message((data ?? {}) as Record<string, unknown>) },
    };
  }

  const inputBodyOf = (p: ParsedPayload) =>
    JSON.stringify({
      verificationProof: p.proofText,
      sender: p.senderText,
      recipient: p.recipientText,
      source: p.sourceText,
      identity: p.identityText,
    });

  /**
   * The group-commit path, for what nearly every SDK request is (an EIP-712 proof over inline content): the signer
   * is recovered and the content parsed now, concurrently with other requests; everything that needs the store is
   * decided in the next batch. Null when the request needs the full path (chain proofs, IPFS or subgraph content).
   */
  async function prepareFast(p: ParsedPayload): Promise<PreparedPayload | null> {
    const { proof, identity } = p;
    if (proof.kind !== 'eip712v2' && proof.kind !== 'eip712v1') return null;
    if (identity.storageType !== 0 && identity.storageType !== 2) return null;
    if (proof.kind === 'eip712v1' && identity.storageType !== 2) return null;
    let signer: PreparedPayload['signer'];
    try {
      // Through the pool the typed data is hashed in a worker, beside its recovery, not on this thread.
      const signed = { ...typedDataOf(p), signature: proof.signature };
      const address = deps.verifier ? await deps.verifier.verifyTyped(signed) : verifyTypedSignature(signed);
      signer = { ok: true, address: address.toLowerCase() };
    } catch (error) {
      signer = { ok: false, error };
    }
    let content: PreparedPayload['content'];
    try {
      const c = await resolveContent(identity, deps, { retryMismatch: false, field: 'identity' });
      if (c.kind !== 'ready') return null; // inline content is always ready; anything else takes the full path
      content = { ok: true, payload: c.payload };
    } catch (error) {
      content = { ok: false, error };
    }
    return {
      key: p.proofText,
      sender: `eip155:${p.sender.chainId}:${p.sender.address}`,
      senderChainId: p.sender.chainId,
      senderAddress: p.sender.address,
      source: p.sourceText,
      identity: p.identityText,
      recipient: p.recipient,
      ts: p.ts,
      requestRecipient: p.recipientText,
      signer,
      content,
      erc1271: clients.has(p.sender.chainId),
    };
  }

  async function admitPayloadInner(body: PayloadBody, meta: RequestMeta): Promise<AdmitResult> {
    const p = parsePayload(body, meta);
    const prepared = await prepareFast(p);
    if (prepared) {
      const answer = await batcher.submit(prepared);
      if (answer !== FULL_PATH) return answer;
    }
    return admitFull(p);
  }

  /**
   * The SendNotification an `eip155:<chain>:<tx>` request stands for: a log of that transaction by the sender, to the
   * request's recipient, with the request's identity. The first such log: a repeated request names the same one
   * (and is answered as a duplicate), and never another recipient's (the indexer files every log of the
   * transaction by itself).
   */
  async function provenLog(p: ParsedPayload, proof: { chainId: number; txHash: Hex }): Promise<ProvenLog> {
    const { sender, recipient, identityText, chain } = p;
    if (proof.chainId !== sender.chainId) {
      throw pushError(
        'PUSH_ERR_SOURCE_MISMATCH',
        `the proof's chain ${proof.chainId} is not the sender's chain ${sender.chainId}`,
        { field: 'verificationProof' },
      );
    }
    const client = clients.get(sender.chainId);
    if (!client)
      throw pushError('PUSH_ERR_CHAIN_NOT_SUPPORTED', `No RPC configured for chain ${proof.chainId}`, {
        field: 'verificationProof',
      });
    const log = (await client.sendNotificationLogs(proof.txHash)).find(
      (l) =>
        l.channel === sender.address &&
        (recipient === null || l.recipient === recipient) &&
        rewriteLegacyIdentity(l.identity, l.blockNumber, chain.npipBlock) === identityText,
    );
    if (!log) {
      throw pushError(
        'PUSH_ERR_TX_PROOF_INVALID',
        `Transaction ${proof.txHash} emitted no SendNotification by ${sender.address}${recipient ? ` to ${recipient}` : ''} with this identity`,
        { field: 'verificationProof' },
      );
    }
    return {
      chainId: proof.chainId,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.logIndex,
      txHash: proof.txHash,
      timestamp: await client.blockTimestamp(log.blockNumber),
    };
  }

  /** Whether `log`'s block is above the chain's cursor; false for a chain this store does not index. */
  async function aheadOfIndexer(log: ProvenLog): Promise<boolean> {
    const cursor = await db
      .selectFrom('chain_cursors')
      .select('block')
      .where('chain_id', '=', log.chainId)
      .executeTakeFirst();
    return cursor !== undefined && log.blockNumber > Number(cursor.block);
  }

  /** One request through every check, with its own transaction (chain and subgraph proofs, IPFS, ERC-1271). */
  async function admitFull(p: ParsedPayload): Promise<AdmitResult> {
    const { proofText, identityText, sourceText, proof, sender, recipient, identity } = p;

    let key = proofText;
    let ts = p.ts;
    let proven: ProvenLog | null = null;
    // A repeated request is answered like the first before anything that may have changed since (channel state).
    if (proof.kind === 'eip155') {
      proven = await provenLog(p, proof);
      key = chainInputKey(proven);
      const dup = await existing(key);
      if (dup) return asResult(dup, true);
      // The indexer judged this log at its block (the channel as it was then) and refused it: so is the request.
      const input = await db.selectFrom('inputs').select('refused').where('key', '=', key).executeTakeFirst();
      if (input?.refused) {
        throw pushError(
          'PUSH_ERR_TX_PROOF_INVALID',
          `The SendNotification of ${proof.txHash} was refused at its block (${input.refused})`,
          { field: 'verificationProof', details: { refused: input.refused } },
        );
      }
      ts = proven.timestamp * 1000;
    } else {
      const dup = await existing(key);
      if (dup && dup.sender === `eip155:${sender.chainId}:${sender.address}` && dup.identity === identityText)
        return asResult(dup, true);
    }

    const { channel } = await resolveChannel(db, deps.coreChainId, sender.chainId, sender.address, 'sender');
    assertChannelCanSend(channel, 'sender');

    let delegate: string | null = null;
    const client = clients.get(sender.chainId);
    if (proof.kind === 'eip712v2' || proof.kind === 'eip712v1') {
      const typed = typedDataOf(p);
      const who = await checkTypedSigner({
        typed,
        signature: proof.signature,
        accounts: [sender.address],
        isAllowed: (r) => isDelegate(db, sender.chainId, sender.address, r),
        verifier: deps.verifier,
        chain: client,
        field: 'verificationProof',
      });
      if (who.via === 'delegate') delegate = who.signer;
    } else if (proof.kind === 'thegraph') {
      const subgraphId = channel.subgraph ? channel.subgraph.slice(channel.subgraph.indexOf('+') + 1) : null;
      if (
        identity.storageType !== 3 ||
        subgraphId !== proof.subgraphId ||
        identity.subgraphId !== proof.subgraphId ||
        identity.counter !== proof.counter
      ) {
        throw pushError(
          'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
          'The thegraph proof does not match the channel subgraph and the identity',
          { field: 'verificationProof' },
        );
      }
    }

    if (channelLimiter) channelLimiter.take(channel.channel, now());

    const content = await resolveContent(identity, deps, { retryMismatch: false, field: 'identity' });
    if (content.kind === 'ready') checkPayloadShape(content.payload, channel, recipient);
    if (proven && (await aheadOfIndexer(proven))) {
      // The indexer admits this log itself when it reaches the block, and only if the block is still canonical then:
      // stored now, it could outlive a reorg the indexer never sees (the block above its cursor).
      return { notificationId: 0, status: 'indexing', duplicate: false };
    }
    return store({
      key,
      // The notification row records the request; only a chain proof's key is shared with the indexer's inputs.
      input: proven ? { kind: 'http', body: inputBodyOf(p), log: proven } : null,
      requestRecipient: p.recipientText,
      // Journaled like the indexer's own admission of the log: a reorg of its block undoes it.
      origin: proven ? { chainId: proven.chainId, blockNumber: proven.blockNumber, journal: true } : null,
      channel,
      sender: `eip155:${sender.chainId}:${sender.address}`,
      chainId: sender.chainId,
      source: sourceText,
      proof: proofText,
      delegate,
      identity: identityText,
      ts,
      recipient,
      content,
    });
  }

  const subscriptions = createSubscriptionDoor({
    db,
    store: deps.store,
    coreChainId: deps.coreChainId,
    chainOf,
    clients,
    verifier: deps.verifier,
    ipLimiter,
    now,
  });

  return {
    admitPayload: (body, meta = {}) =>
      measured(
        'http',
        () => admitPayloadInner(body, meta),
        (r) => (r.duplicate ? 'duplicate' : r.status),
      ),
    admitChainNotification: (log) =>
      measured(
        'chain',
        () => admitChainNotification(log),
        (r) => (r === null ? 'orphaned' : r.duplicate ? 'duplicate' : r.status),
      ),
    chainDoor,
    subscribe: (channel, body, meta = {}) =>
      measured(
        'subscribe',
        () => subscriptions.apply('Subscribe', channel, body, meta),
        (r) => r.status,
      ),
    unsubscribe: (channel, body, meta = {}) =>
      measured(
        'unsubscribe',
        () => subscriptions.apply('Unsubscribe', channel, body, meta),
        (r) => r.status,
      ),
    async notificationState(idOrKey) {
      const row = await db
        .selectFrom('notifications')
        .select(['id', 'status', 'content_attempts', 'content_next_at', 'content_error'])
        .$if(typeof idOrKey === 'number', (qb) => qb.where('id', '=', idOrKey as number))
        .$if(typeof idOrKey === 'string', (qb) => qb.where('input_key', '=', idOrKey as string))
        .executeTakeFirst();
      if (!row) return null;
      return {
        id: Number(row.id),
        status: row.status,
        attempts: Number(row.content_attempts),
        nextAttemptAt: row.status === 'pending_content' ? Number(row.content_next_at) : null,
        error: row.content_error,
      };
    },
    retryPendingContent: retry.retryPendingContent,
    async start() {
      retry.start();
    },
    async stop() {
      await retry.stop();
      await batcher.drain();
    },
  };
}
