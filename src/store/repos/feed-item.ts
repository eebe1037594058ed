import {
  type ChannelSetting,
  type FeedPayload,
  parseChannelSettings,
  parseIndex,
  parseUserSettings,
  passesSettings,
  toChecksum,
} from '../../protocol/index.js';

/** One feed item exactly as the SDK reads it from `GET /v1/users/:u/feeds` and the `userFeeds` socket event. */
export interface FeedItem {
  /** The notification id; negative for the spam half of a subset (as the original node). */
  payload_id: number;
  /** The sender's plain checksummed address (channel or alias). */
  sender: string;
  /** Send time, ISO 8601. */
  epoch: string;
  source: string;
  etime: number | null;
  payload: FeedPayload;
}

export interface NotificationRowForFeed {
  id: number;
  sender: string;
  source: string;
  ts: number;
  etime: number | null;
  payload: string | null;
  type: number;
}

/**
 * Builds the feed item of a stored notification for one box. `parsed`: the payload as an object when the caller
 * has it already (admission, which just serialised it), to skip parsing `row.payload` again.
 */
export function feedItemOf(
  row: NotificationRowForFeed,
  box: 'inbox' | 'spam',
  parsed?: FeedPayload,
): FeedItem {
  const payload = parsed ?? (JSON.parse(row.payload ?? 'null') as FeedPayload);
  const address = row.sender.slice(row.sender.lastIndexOf(':') + 1);
  return {
    payload_id: box === 'spam' && Number(row.type) === 4 ? -Number(row.id) : Number(row.id),
    sender: toChecksum(address),
    epoch: new Date(Number(row.ts)).toISOString(),
    source: row.source,
    etime: row.etime === null ? null : Number(row.etime),
    payload,
  };
}

// Parsed channel settings by their raw strings: a feed page asks for the same few channels again and again.
const channelSettingsCache = new Map<string, ChannelSetting[] | null>();
const CACHE_MAX = 4096;

export function channelSettingsOf(raw: string | null, description: string | null): ChannelSetting[] | null {
  if (!raw) return null;
  const key = `${raw}\u0000${description ?? ''}`;
  const hit = channelSettingsCache.get(key);
  if (hit !== undefined) return hit;
  let parsed: ChannelSetting[] | null;
  try {
    parsed = parseChannelSettings(raw, description ?? '');
  } catch {
    // Chain data the node cannot read filters nothing (the original node would not have filtered either).
    parsed = null;
  }
  if (channelSettingsCache.size >= CACHE_MAX) channelSettingsCache.clear();
  channelSettingsCache.set(key, parsed);
  return parsed;
}

/**
 * Does a subscriber with `userSettingsRaw` (null: channel defaults) receive a notification with `index`, given the
 * channel's settings? Unreadable user settings count as "defaults"; an unreadable index filters nothing.
 */
export function reachesSubscriber(
  channelSettings: readonly ChannelSetting[] | null,
  userSettingsRaw: string | null,
  indexRaw: string | null,
): boolean {
  if (!indexRaw || !channelSettings || channelSettings.length === 0) return true;
  let index: ReturnType<typeof parseIndex>;
  try {
    index = parseIndex(indexRaw);
  } catch {
    return true;
  }
  let user = null;
  if (userSettingsRaw) {
    try {
      user = parseUserSettings(userSettingsRaw, channelSettings);
    } catch {
      user = null;
    }
  }
  return passesSettings(channelSettings, user, index);
}
