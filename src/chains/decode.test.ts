import fc from 'fast-check';
import { type AbiEvent, encodeAbiParameters, encodeEventTopics, getAddress, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { ALL_EVENTS, type EventDef, toJsonAbi } from './abi.js';
import { createLogDecoder } from './decode.js';
import type { Hex, RawLog } from './types.js';

const CORE = '0x00000000000000000000000000000000000000c0' as Hex;
const COMM = '0x00000000000000000000000000000000000000c1' as Hex;
const decoder = createLogDecoder({ chainId: 5, core: CORE, comm: COMM });

function rawLog(def: EventDef, values: Record<string, unknown>, address: Hex): RawLog {
  const abi = toJsonAbi([def])[0] as AbiEvent;
  const topics = encodeEventTopics({ abi: [abi], args: values } as never) as Hex[];
  const nonIndexed = def.params.filter((p) => !p.indexed);
  const data = encodeAbiParameters(
    nonIndexed.map((p) => ({ type: p.type, name: p.name })),
    nonIndexed.map((p) => values[p.name]),
  );
  return {
    address,
    topics,
    data,
    blockNumber: '0x10',
    blockHash: `0x${'ab'.repeat(32)}`,
    transactionHash: `0x${'cd'.repeat(32)}`,
    transactionIndex: '0x2',
    logIndex: '0x7',
  };
}

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toHex(b));
const uint = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const uint8 = fc.bigInt({ min: 0n, max: 255n });
const text = fc.string({ unit: 'grapheme', maxLength: 80 });
const bytes = fc.uint8Array({ maxLength: 100 }).map((b) => toHex(b));

function argsFor(def: EventDef) {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of def.params) {
    rec[p.name] =
      p.type === 'address'
        ? address
        : p.type === 'uint256'
          ? uint
          : p.type === 'uint8'
            ? uint8
            : p.type === 'string' || p.text
              ? text
              : bytes;
  }
  return fc.record(rec);
}

describe('decodeLog', () => {
  it('decodes every event the way its ABI encodes it (property, seeded)', () => {
    for (const def of ALL_EVENTS) {
      fc.assert(
        fc.property(argsFor(def), (values) => {
          const encodeValues: Record<string, unknown> = {};
          for (const p of def.params) {
            const v = values[p.name];
            encodeValues[p.name] = p.type === 'bytes' && p.text ? toHex(v as string) : v;
          }
          const d = decoder.decode(
            rawLog(def, encodeValues, def.contract === 'core' ? CORE : COMM),
            1_700_000_000,
          );
          expect(d.ok).toBe(true);
          if (!d.ok) return;
          expect(d.log.event).toBe(def.name);
          expect(d.log.topic0).toBe(def.topic0);
          expect(d.log.contract).toBe(def.contract);
          for (const p of def.params) {
            const v = values[p.name];
            const expected =
              p.type === 'address' || (p.type === 'bytes' && !p.text) ? String(v).toLowerCase() : v;
            expect(d.log.args[p.name], `${def.signature} ${p.name}`).toEqual(expected);
          }
        }),
        { seed: 42, numRuns: 25 },
      );
    }
  });

  it('fills the log position fields and lower-cases hashes', () => {
    const def = ALL_EVENTS.find((e) => e.name === 'Subscribe')!;
    const d = decoder.decode(
      rawLog(def, { channel: getAddress(`0x${'ab'.repeat(20)}`), user: `0x${'0'.repeat(39)}1` }, COMM),
      77,
    );
    expect(d.ok && d.log).toMatchObject({
      chainId: 5,
      blockNumber: 16,
      logIndex: 7,
      txIndex: 2,
      timestamp: 77,
      address: COMM,
      args: { channel: `0x${'ab'.repeat(20)}`, user: `0x${'0'.repeat(39)}1` },
    });
  });

  it('tells the two UpdateChannel layouts apart by topic0', () => {
    const [v1, v2] = ALL_EVENTS.filter((e) => e.name === 'UpdateChannel');
    const ch = `0x${'11'.repeat(20)}`;
    const a = decoder.decode(rawLog(v1!, { channel: ch, identity: toHex('1+QmA') }, CORE), 1);
    const b = decoder.decode(
      rawLog(v2!, { channel: ch, identity: toHex('1+QmB'), amountDeposited: 50n }, CORE),
      1,
    );
    expect(a.ok && a.log.args).toEqual({ channel: ch, identity: '1+QmA' });
    expect(b.ok && b.log.args).toEqual({ channel: ch, identity: '1+QmB', amountDeposited: 50n });
  });

  it('decodes invalid UTF-8 in identities leniently', () => {
    const def = ALL_EVENTS.find((e) => e.name === 'SendNotification')!;
    const identity = '0x302b33ff2b54' as Hex; // "0+3" 0xFF "+T"
    const d = decoder.decode(rawLog(def, { channel: CORE, recipient: COMM, identity }, COMM), 1);
    expect(d.ok && d.log.args.identity).toBe('0+3\uFFFD+T');
  });

  it('decodes U+0000 in strings as U+FFFD (Postgres text cannot hold it)', () => {
    const def = ALL_EVENTS.find((e) => e.name === 'SendNotification')!;
    const identity = '0x302b33002b5400' as Hex; // "0+3" NUL "+T" NUL
    const d = decoder.decode(rawLog(def, { channel: CORE, recipient: COMM, identity }, COMM), 1);
    expect(d.ok && d.log.args.identity).toBe('0+3\uFFFD+T\uFFFD');
  });

  it('refuses logs that do not fit the layout, and unknown topics or addresses', () => {
    const def = ALL_EVENTS.find((e) => e.name === 'SendNotification')!;
    const good = rawLog(def, { channel: CORE, recipient: COMM, identity: '0x01' }, COMM);
    expect(decoder.decode({ ...good, data: '0x1234' }, 1)).toMatchObject({ ok: false });
    expect(decoder.decode({ ...good, topics: good.topics.slice(0, 2) }, 1)).toMatchObject({ ok: false });
    expect(decoder.decode({ ...good, topics: [`0x${'00'.repeat(32)}`] }, 1)).toMatchObject({ ok: false });
    expect(decoder.decode({ ...good, address: `0x${'99'.repeat(20)}` }, 1)).toMatchObject({ ok: false });
    // offset pointing past the end
    const bad = `0x${'0'.repeat(62)}ff${'0'.repeat(64)}` as Hex;
    expect(decoder.decode({ ...good, data: bad }, 1)).toMatchObject({ ok: false });
  });
});
