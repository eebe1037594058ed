import { chainText } from '../protocol/text.js';
import { EVENTS_BY_TOPIC0, type EventDef, type EventParam } from './abi.js';
import type { ChainLog, Hex, RawLog } from './types.js';

/**
 * Raw log → ChainLog. A small ABI decoder for the few types our events use (address, uint, bytes, string), written
 * for speed on the hex strings the RPC returns: the backfill decodes every log of a chain's history.
 */

export type DecodeResult = { ok: true; log: ChainLog } | { ok: false; reason: string };

export interface LogDecoder {
  /** `timestamp` is the block's, in seconds. */
  decode(raw: RawLog, timestamp: number): DecodeResult;
}

export function createLogDecoder(opts: { chainId: number; core?: Hex; comm: Hex }): LogDecoder {
  const contracts = new Map<string, 'core' | 'comm'>();
  // On the core chain both contracts are watched; an address is one or the other (config validation keeps them apart).
  if (opts.core) contracts.set(opts.core.toLowerCase(), 'core');
  contracts.set(opts.comm.toLowerCase(), 'comm');

  return {
    decode(raw, timestamp) {
      const address = raw.address.toLowerCase() as Hex;
      const contract = contracts.get(address);
      if (!contract) return { ok: false, reason: `log from unwatched address ${address}` };
      const topic0 = raw.topics[0]?.toLowerCase();
      const event = topic0 ? EVENTS_BY_TOPIC0.get(topic0) : undefined;
      if (!event) return { ok: false, reason: `unknown topic0 ${topic0 ?? '(anonymous)'}` };
      const args = decodeArgs(event, raw.topics, raw.data);
      if (typeof args === 'string') return { ok: false, reason: `${event.signature}: ${args}` };
      return {
        ok: true,
        log: {
          chainId: opts.chainId,
          blockNumber: hexToNumber(raw.blockNumber),
          blockHash: raw.blockHash.toLowerCase() as Hex,
          logIndex: hexToNumber(raw.logIndex),
          txHash: raw.transactionHash.toLowerCase() as Hex,
          txIndex: hexToNumber(raw.transactionIndex),
          address,
          contract,
          event: event.name,
          args,
          timestamp,
          topic0: event.topic0,
        },
      };
    },
  };
}

export function hexToNumber(hex: string): number {
  const n = Number.parseInt(hex, 16);
  if (!Number.isSafeInteger(n)) throw new TypeError(`not a hex quantity: ${hex}`);
  return n;
}

/** Returns the args, or a reason string when the log does not fit the event's layout. */
function decodeArgs(event: EventDef, topics: Hex[], data: Hex): Record<string, unknown> | string {
  const indexedCount = event.params.reduce((n, p) => n + (p.indexed ? 1 : 0), 0);
  if (topics.length !== indexedCount + 1) {
    return `expected ${indexedCount + 1} topics, got ${topics.length}`;
  }
  // Work on the hex digits after "0x"; one 32-byte word = 64 digits.
  const body = data.length >= 2 ? data.slice(2) : '';
  if (body.length % 2 !== 0) return 'odd-length data';
  const args: Record<string, unknown> = {};
  let topicAt = 1;
  let word = 0;
  for (const p of event.params) {
    if (p.indexed) {
      const t = topics[topicAt++]!;
      const v = decodeStatic(p, t.slice(2));
      if (v === undefined) return `topic for ${p.name} is not a 32-byte word`;
      args[p.name] = v;
      continue;
    }
    const head = readWord(body, word++);
    if (head === undefined) return `data too short for ${p.name}`;
    if (p.type === 'bytes' || p.type === 'string') {
      const v = decodeDynamic(p, body, head);
      if (v === undefined) return `bad offset or length for ${p.name}`;
      args[p.name] = v;
    } else {
      args[p.name] = decodeStatic(p, head);
    }
  }
  return args;
}

function readWord(body: string, i: number): string | undefined {
  const start = i * 64;
  if (start + 64 > body.length) return undefined;
  return body.slice(start, start + 64);
}

function decodeStatic(p: EventParam, word: string): unknown {
  if (word.length !== 64) return undefined;
  if (p.type === 'address') return `0x${word.slice(24).toLowerCase()}`;
  return BigInt(`0x${word}`);
}

function decodeDynamic(p: EventParam, body: string, head: string): string | undefined {
  const offset = wordToSafeInt(head);
  if (offset === undefined) return undefined;
  const lenWord = body.slice(offset * 2, offset * 2 + 64);
  if (lenWord.length !== 64) return undefined;
  const len = wordToSafeInt(lenWord);
  if (len === undefined) return undefined;
  const start = offset * 2 + 64;
  const end = start + len * 2;
  if (end > body.length) return undefined;
  const hex = body.slice(start, end);
  if (p.type === 'string' || p.text) return chainText(hex);
  return `0x${hex.toLowerCase()}`;
}

function wordToSafeInt(word: string): number | undefined {
  // Offsets and lengths beyond 2^53 cannot be valid in a response we could hold in memory.
  if (!/^0{50}/.test(word)) return undefined;
  const n = Number.parseInt(word.slice(50), 16);
  return Number.isSafeInteger(n) ? n : undefined;
}
