import { fail, quote } from './text.js';

/**
 * `data.type` of a notification (SDK `NOTIFICATION_TYPE`; the SDK spells the middle one TARGETTED). The legacy
 * on-chain values 2 (secret) and 5 (secret v2) are not deliverable and are refused.
 */
export const NOTIFICATION_TYPE = { BROADCAST: 1, TARGETED: 3, SUBSET: 4 } as const;

export type NotificationType = (typeof NOTIFICATION_TYPE)[keyof typeof NOTIFICATION_TYPE];

/** The most recipients one subset notification may name (the original node's SUBSET_NOTIF_LIMIT). */
export const MAX_SUBSET_RECIPIENTS = 1000;

export function isNotificationType(value: unknown): value is NotificationType {
  return value === 1 || value === 3 || value === 4;
}

/** Accepts 1/3/4 as a number or as the one-character string the SDK sends. */
export function parseNotificationType(value: unknown, field = 'data.type'): NotificationType {
  if (isNotificationType(value)) return value;
  if (value === '1' || value === '3' || value === '4') return Number(value) as NotificationType;
  fail(
    'PUSH_ERR_INVALID_NOTIFICATION_TYPE',
    `notification type must be 1 (broadcast), 3 (targeted) or 4 (subset), got ${typeof value === 'number' ? value : quote(value)}`,
    field,
  );
}
