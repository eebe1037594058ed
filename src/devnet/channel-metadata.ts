import { deflateSync } from 'node:zlib';

/** The channel metadata JSON that `1+<cid>` channel identities point to (contracts.md §5.2). */
export interface ChannelMetadata {
  name: string;
  info: string;
  url: string;
  /** `data:image/png;base64,…` for new channels. */
  icon: string;
  /** `{ "<CAIP-2 chain>": "<alias address>" }`, e.g. `{ "eip155:80002": "0x…" }`. */
  aliasDetails?: Record<string, string>;
  /** At most 5, joined length at most 512. */
  tags?: string[];
}

/** Serialised with a fixed key order, so the same metadata always hashes to the same CID. */
export function serializeChannelMetadata(metadata: ChannelMetadata): string {
  const ordered: Record<string, unknown> = {
    name: metadata.name,
    info: metadata.info,
    url: metadata.url,
    icon: metadata.icon,
  };
  if (metadata.aliasDetails) ordered.aliasDetails = metadata.aliasDetails;
  ordered.tags = metadata.tags ?? [];
  return JSON.stringify(ordered);
}

/**
 * A small solid-colour PNG as a data URI: a valid image (icons are served to wallets) in well under 200 bytes.
 * The colour is derived from `seed` so demo channels are told apart at a glance.
 */
export function iconDataUri(seed: string, size = 16): string {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const rgb = [(h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x++) row.set(rgb, 1 + x * 3); // filter byte 0, then RGB pixels
  const pixels = Buffer.concat(Array.from({ length: size }, () => row));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, adaptive filtering, no interlace
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  return `data:image/png;base64,${png.toString('base64')}`;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
