export { createDeliveryHub, type DeliveryHub, type LiveFeed } from './delivery.js';
export { createStoredMissedLoader } from './missed.js';
export {
  createRealtime,
  EVENTS,
  type MissedFeedLoader,
  type MissedItem,
  type Realtime,
  type RealtimeDeps,
  type SubscriptionChange,
} from './realtime.js';
export { createSubscriberIndex, type SubscriberIndex } from './subscriber-index.js';
