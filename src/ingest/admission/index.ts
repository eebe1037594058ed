/**
 * The admission pipeline: one verification and filing path for every door (HTTP, chain events, later peers).
 *
 * Contract for the doors (stable; routes and sockets build on it):
 *
 * `createAdmission(deps)` → `Admission`
 *   deps: { store, coreChainId, chains: [{chainId, comm, rpcUrls, npipBlock?}], verifier?, ipfs?, subgraph?, bus,
 *           logger?, registry?, limits?: {maxIdentityBytes, perIp, perChannel, contentRetry}, now? }
 *
 * - `admitPayload(body, {ip?, receivedAt?})` — `POST /apis/v1/payloads`. Resolves `{notificationId, status:
 *   'admitted'|'pending_content'|'indexing', duplicate}`; answer 204 (`indexing`: an `eip155:` proof for a block the
 *   indexer has not reached; it admits the log itself). Throws a `PushError` (use `err.status`, `err.toBody()`;
 *   on `PUSH_ERR_RATE_LIMITED` set `Retry-After: err.details.retryAfterSeconds`). A refused request stores nothing.
 *   Idempotent by verificationProof: a repeat gets the same result with `duplicate: true` and no second bus event.
 *   The request is stored once, as its notification row (`input_key` = the proof, sender, source, identity and the
 *   recipient as received); only an `eip155:` proof, whose key is its chain event's, is also an `inputs` row.
 *   Group commit (`batcher.ts`, `payload-batch.ts`): requests arriving while a store transaction runs are checked
 *   and stored together in the next one, each with its own outcome; a request is answered only once its group has
 *   committed, and if that transaction fails every request of the group fails (none is acknowledged).
 * - `chainDoor` — the chain sink's door (`chain-door.ts`): each SendNotification is admitted inside the batch's
 *   transaction, in log order (final blocks in runs: `chain-batch.ts`). `admitChainNotification(log)`: one recorded
 *   log on its own. Keyed by the log (several notifications per transaction are kept apart); legacy identities below
 *   a chain's npipBlock are rewritten. Unverified aliases, unknown/blocked/deactivated channels: logged and skipped.
 * - `subscribe(channelCaip, {verificationProof, message, origin?}, meta)` / `unsubscribe(…)` — `POST
 *   /apis/v1/channels/:channel/(un)subscribe`. Resolves `{status: 'applied'|'unchanged', channel, subscriber,
 *   subscribed, settings}`; answer 204. EIP-712 v2 (message string verified byte for byte) and v1 (bare signature,
 *   object message); pgpv4 → `PUSH_ERR_UNSUPPORTED_PROOF`. Last writer wins with the chain's opt-ins.
 * - `notificationState(idOrKey)` — `{status, attempts, nextAttemptAt, error}`: pending IPFS content is visible; a
 *   pending notification is filed under a fresh id when its content arrives (ids grow in order of visibility).
 * - `start()` / `stop()` — background content retries (`content-retry.ts`: exponential backoff, bounded attempts,
 *   then 'failed').
 *
 * `createBus()` (`../bus.ts`): every admitted notification is published once as `AdmittedNotification`
 * `{notification, recipients: {inbox: string[] | 'subscribers', spam}, audience, feedItem, spamFeedItem}`.
 *
 * Feed queries live in `src/store/repos/feeds.ts`: `listUserFeed(db, {user, box, page, limit, showHidden, channel?,
 * before?, count?})` → `{feeds, itemcount}` and `listChannelNotifications(db, {channel, page, limit, type?})`.
 */

export { reachesSubscriber } from '../../store/repos/feed-item.js';
export { type AdmittedNotification, type BusListener, createBus, type NotificationBus } from '../bus.js';
export {
  type Admission,
  type AdmissionDeps,
  type AdmissionLimits,
  type AdmitResult,
  createAdmission,
  DEFAULT_ADMISSION_LIMITS,
  type NotificationState,
  type PayloadBody,
  type RequestMeta,
} from './admission.js';
export { type AdmissionChain, type ChainClient, createChainClient } from './chain-client.js';
export type { ContentIpfs, ContentSubgraph } from './content.js';
export { type BucketPolicy, createRateLimiter, type RateLimiter } from './rate-limit.js';
export type { SubscriptionBody, SubscriptionResult } from './subscribe.js';
