import pino, { type Logger } from 'pino';
import type { FeedItem } from '../store/repos/feed-item.js';

/**
 * What the admission pipeline announces for every admitted notification, exactly once (when its content is resolved:
 * at admission, or later for IPFS content that was not yet available).
 *
 * - `recipients.inbox` is the address list for targeted/subset notifications, or `'subscribers'` for a broadcast:
 *   every address subscribed to `notification.channel` now, filtered by `audience` (see `reachesSubscriber`).
 * - `feedItem` is what the SDK's socket expects for `userFeeds`; `spamFeedItem` (subset/targeted spam, payload_id
 *   negative for subsets) for `userSpamFeeds`.
 */
export interface AdmittedNotification {
  notification: {
    id: number;
    /** Core-chain channel address (lower-case). */
    channel: string;
    /** Full CAIP of the sender (channel or alias). */
    sender: string;
    /** 1 broadcast, 3 targeted, 4 subset. */
    type: number;
    /** Send time, ms. */
    ts: number;
    source: string;
    verificationProof: string;
    /** The delegate that signed, if not the channel itself (lower-case). */
    delegate: string | null;
  };
  recipients: { inbox: string[] | 'subscribers'; spam: string[] };
  /** For broadcasts: the channel settings and `data.index` the subscribers' settings are matched against. */
  audience: {
    channelSettingsRaw: string | null;
    channelSettingsDescription: string | null;
    index: string | null;
  };
  feedItem: FeedItem;
  spamFeedItem: FeedItem | null;
}

export type BusListener = (event: AdmittedNotification) => void;

export interface NotificationBus {
  /** Delivers synchronously to every listener; a throwing listener is logged and does not stop the others. */
  publish(event: AdmittedNotification): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: BusListener): () => void;
  listenerCount(): number;
}

/** In-process pub/sub (the embedded node's; a multi-process deployment bridges it to Redis). */
export function createBus(deps: { logger?: Logger } = {}): NotificationBus {
  const logger = deps.logger ?? pino({ level: 'silent' });
  const listeners = new Set<BusListener>();
  return {
    publish(event) {
      for (const l of [...listeners]) {
        try {
          l(event);
        } catch (err) {
          logger.error({ err, notification: event.notification.id }, 'bus listener failed');
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    listenerCount: () => listeners.size,
  };
}
