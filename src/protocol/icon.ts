import { toChecksum } from './caip.js';

/**
 * The icon a client should load for a channel: data-URI icons (what channel metadata carries) are served by the
 * node's icon route, as the original node did, so feed items and channel lists stay small; URLs pass through.
 */
export function channelIconLink(publicUrl: string, channel: string, icon: string | null): string | null {
  if (!icon) return null;
  if (!icon.startsWith('data:')) return icon;
  return `${publicUrl.replace(/\/$/, '')}/apis/v1/channels/icon/${toChecksum(channel)}`;
}
