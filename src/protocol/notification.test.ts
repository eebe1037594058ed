import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorOf, onlyPushErrors } from '../../test/support/push-errors.js';
import type { Address } from './caip.js';
import { parseIdentity } from './identity.js';
import {
  buildFeedPayload,
  FEED_LIMITS,
  formatNotificationPayload,
  MAX_SUBSET_RECIPIENTS,
  NOTIFICATION_TYPE,
  type NotificationPayload,
  parseNotificationPayload,
  payloadFromMinimal,
  payloadFromSubgraph,
} from './notification.js';

const FC = { seed: 10_005, numRuns: 300 };
const CHANNEL = '0x0542d6e5d5e8b56b8e1b0a3c2c2e5a6b7c8d1f99';
/** Mixed case with a wrong checksum: accepted, as the SDK and users send all sorts of case. */
const CHANNEL_MIXED = '0x0542D6E5d5e8B56B8E1b0A3C2c2E5A6B7c8D1F99';
const ALICE = '0x7fb4000000000000000000000000000000b71e00';
const BOB = '0x1111111111111111111111111111111111111111';
const SENDER = `eip155:11155111:${CHANNEL_MIXED}`;
const META = { name: 'Channel name', icon: 'https://icon.example/x.png', url: 'https://example.org' };

/** The identity JSON the SDK sent for a PushAPI broadcast (SDK contract §2.10), with a full address. */
const CAPTURED_BROADCAST = `{"notification":{"title":"bcast","body":"hello all"},"data":{"acta":"https://example.org","aimg":"","amsg":"broadcast body","asub":"B","type":"1"},"recipients":"${SENDER}"}`;

function payload(
  data: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    notification: { title: 't', body: 'b' },
    data: { acta: '', aimg: '', amsg: 'm', asub: 's', type: '3', ...data },
    ...extra,
  };
}

describe('parseNotificationPayload', () => {
  it('normalises the captured SDK broadcast', () => {
    expect(parseNotificationPayload(CAPTURED_BROADCAST)).toEqual({
      notification: { title: 'bcast', body: 'hello all' },
      data: {
        type: 1,
        acta: 'https://example.org',
        aimg: '',
        amsg: 'broadcast body',
        asub: 'B',
        etime: null,
        hidden: false,
        silent: false,
        sectype: null,
        index: null,
        additionalMeta: null,
      },
      recipients: [CHANNEL],
    });
  });

  it('reads the JSON of a 2+ identity', () => {
    const id = parseIdentity(`2+${CAPTURED_BROADCAST}`);
    expect(id.storageType === 2 && parseNotificationPayload(id.payload).data.type).toBe(1);
  });

  it('reads recipients as a map, an array, a comma string or the legacy `recipient` key', () => {
    const forms: unknown[] = [
      {
        recipients: {
          [`eip155:11155111:${ALICE.toUpperCase().replace('0X', '0x')}`]: null,
          [`eip155:${BOB}`]: '',
        },
      },
      { recipients: [ALICE, `eip155:1:${BOB}`] },
      { recipients: `${ALICE}, eip155:${BOB}` },
      { recipient: `${ALICE},${BOB}` },
    ];
    for (const extra of forms) {
      expect(
        parseNotificationPayload(payload({ type: 4 }, extra as Record<string, unknown>)).recipients,
      ).toEqual([ALICE, BOB]);
    }
    expect(parseNotificationPayload(payload({})).recipients).toEqual([]);
  });

  it('de-duplicates recipients across case and CAIP forms', () => {
    const p = parseNotificationPayload(
      payload({ type: 4 }, { recipients: [ALICE, `eip155:5:${ALICE}`, BOB] }),
    );
    expect(p.recipients).toEqual([ALICE, BOB]);
  });

  it('caps recipients at 1000', () => {
    const many = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`eip155:0x${i.toString(16).padStart(40, '0')}`, null]),
      );
    expect(
      parseNotificationPayload(payload({ type: 4 }, { recipients: many(MAX_SUBSET_RECIPIENTS) })).recipients,
    ).toHaveLength(1000);
    const err = errorOf(() => parseNotificationPayload(payload({ type: 4 }, { recipients: many(1001) })));
    expect(err.code).toBe('PUSH_ERR_TOO_MANY_RECIPIENTS');
  });

  it('refuses DID recipients and bad addresses with the exact field', () => {
    const did = errorOf(() =>
      parseNotificationPayload(payload({}, { recipients: [`scw:eip155:1:${ALICE}`] })),
    );
    expect(did.code).toBe('PUSH_ERR_INVALID_PAYLOAD');
    expect(did.field).toBe('payload.recipients[0]');
    const bad = errorOf(() =>
      parseNotificationPayload(payload({}, { recipients: { [ALICE]: null, '0x12': null } })),
    );
    expect(bad.code).toBe('PUSH_ERR_INVALID_CAIP');
    expect(bad.field).toBe('payload.recipients[1]');
    const mangled = errorOf(() =>
      parseNotificationPayload(payload({}, { recipients: `eip155:11155111:eip155:${ALICE}` })),
    );
    expect(mangled.message).toContain('partial CAIP inside a full CAIP');
  });

  it('reads type as a string or a number and refuses others', () => {
    expect(parseNotificationPayload(payload({ type: 4 })).data.type).toBe(4);
    expect(parseNotificationPayload(payload({ type: '3' })).data.type).toBe(3);
    for (const t of ['2', 5, '', null, '13', 1.5]) {
      expect(errorOf(() => parseNotificationPayload(payload({ type: t }))).code).toBe(
        'PUSH_ERR_INVALID_NOTIFICATION_TYPE',
      );
    }
  });

  it('normalises hidden, silent and etime', () => {
    const p = parseNotificationPayload(payload({ hidden: '1', silent: true, etime: '1795866368' }));
    expect(p.data).toMatchObject({ hidden: true, silent: true, etime: 1795866368 });
    const q = parseNotificationPayload(payload({ hidden: 0, silent: '0', etime: 0 }));
    expect(q.data).toMatchObject({ hidden: false, silent: false, etime: null });
    expect(errorOf(() => parseNotificationPayload(payload({ etime: 1795866368000 }))).message).toContain(
      'milliseconds',
    );
    expect(errorOf(() => parseNotificationPayload(payload({ etime: -5 }))).field).toBe('payload.data.etime');
    expect(errorOf(() => parseNotificationPayload(payload({ hidden: 'yes' }))).field).toBe(
      'payload.data.hidden',
    );
  });

  it('parses data.index', () => {
    expect(parseNotificationPayload(payload({ index: '2-2-50' })).data.index).toEqual({
      category: 2,
      type: 2,
      value: 50,
    });
    expect(parseNotificationPayload(payload({ index: '' })).data.index).toBeNull();
    expect(errorOf(() => parseNotificationPayload(payload({ index: '2-9' }))).code).toBe(
      'PUSH_ERR_INVALID_INDEX',
    );
  });

  it('validates typed additionalMeta and keeps untyped ones as JSON text', () => {
    expect(
      parseNotificationPayload(payload({ additionalMeta: { type: '0+1', data: 'x' } })).data.additionalMeta,
    ).toEqual({
      kind: 'typed',
      type: '0+1',
      useCase: 0,
      version: 1,
      domain: 'push.org',
      data: 'x',
    });
    const video = { type: '1+1', domain: 'push.org', data: '{"status":1}' };
    expect(parseNotificationPayload(payload({ additionalMeta: video })).data.additionalMeta).toMatchObject({
      useCase: 1,
    });
    expect(parseNotificationPayload(payload({ additionalMeta: { foo: 1 } })).data.additionalMeta).toEqual({
      kind: 'legacy',
      value: '{"foo":1}',
    });
    const cases: Array<[unknown, string]> = [
      [{ type: '1+2', data: 'x' }, 'only has version 1'],
      [{ type: '2+1', domain: 'evil.org', data: 'x' }, 'requires domain push.org'],
      [{ type: '7+1', data: 'x' }, 'unknown use case'],
      [{ type: 'video', data: 'x' }, '"<useCase>+<version>"'],
      [{ type: '0+1', data: { a: 1 } }, 'data must be a string'],
    ];
    for (const [meta, fragment] of cases) {
      expect(errorOf(() => parseNotificationPayload(payload({ additionalMeta: meta }))).message).toContain(
        fragment,
      );
    }
  });

  it.each([
    ['not json', 'payload is not valid JSON', 'payload'],
    ['[]', 'must be a JSON object', 'payload'],
    ['{"data":{}}', 'notification must be an object', 'payload.notification'],
    ['{"notification":{"title":"t","body":"b"}}', 'data must be an object', 'payload.data'],
    [
      '{"notification":{"title":"t"},"data":{"type":"1","acta":"","aimg":"","amsg":"","asub":""}}',
      'is required',
      'payload.notification.body',
    ],
    [
      '{"notification":{"title":1,"body":""},"data":{"type":"1","acta":"","aimg":"","amsg":"","asub":""}}',
      'must be a string',
      'payload.notification.title',
    ],
    [
      '{"notification":{"title":"t","body":""},"data":{"type":"1","aimg":"","amsg":"","asub":""}}',
      'is required',
      'payload.data.acta',
    ],
  ])('rejects %j', (input, fragment, field) => {
    const err = errorOf(() => parseNotificationPayload(input));
    expect(err.message).toContain(fragment);
    expect(err.field).toBe(field);
  });

  it('reads null acta/aimg as empty strings', () => {
    expect(parseNotificationPayload(payload({ acta: null, aimg: null })).data).toMatchObject({
      acta: '',
      aimg: '',
    });
  });
});

describe('minimal and subgraph payloads', () => {
  it('maps 0+3+Title+Body to the standard payload', () => {
    const id = parseIdentity('0+3+Title+Body');
    if (id.storageType !== 0) throw new Error('expected minimal');
    expect(payloadFromMinimal(id)).toEqual({
      notification: { title: 'Title', body: 'Body' },
      data: {
        type: 3,
        acta: '',
        aimg: '',
        amsg: 'Body',
        asub: 'Title',
        etime: null,
        hidden: false,
        silent: false,
        sectype: null,
        index: null,
        additionalMeta: null,
      },
      recipients: [],
    });
  });

  it('maps a subgraph notification {title, body, cta, image, message, subject, type}', () => {
    const p = payloadFromSubgraph(
      '{"type":"3","title":"T","body":"B","subject":"S","message":"M","image":"I","cta":"C"}',
      ALICE.toUpperCase().replace('0X', '0x'),
    );
    expect(p.notification).toEqual({ title: 'T', body: 'B' });
    expect(p.data).toMatchObject({ type: 3, asub: 'S', amsg: 'M', aimg: 'I', acta: 'C' });
    expect(p.recipients).toEqual([ALICE]);
    expect(payloadFromSubgraph({ type: 1, title: 'T', body: 'B' }).data).toMatchObject({
      acta: '',
      amsg: '',
    });
    expect(errorOf(() => payloadFromSubgraph('{"type":"1","body":"B"}')).field).toBe(
      'subgraph.notification.title',
    );
    expect(errorOf(() => payloadFromSubgraph('{bad')).code).toBe('PUSH_ERR_INVALID_PAYLOAD');
  });
});

describe('buildFeedPayload', () => {
  const base = {
    channel: META,
    sender: SENDER,
    sid: 12,
    epoch: 1795866368.7,
    verificationProof: 'eip712v2:0xabc::uid::u',
  };

  it('builds the broadcast feed payload the SDK reads', () => {
    const feed = buildFeedPayload({ ...base, payload: parseNotificationPayload(CAPTURED_BROADCAST) });
    expect(feed).toEqual({
      data: {
        type: 1,
        app: 'Channel name',
        icon: META.icon,
        url: META.url,
        sid: '12',
        epoch: '1795866368',
        asub: 'B',
        amsg: 'broadcast body',
        acta: 'https://example.org',
        aimg: '',
        etime: null,
        hidden: '0',
        silent: '0',
        sectype: null,
        additionalMeta: null,
      },
      notification: { title: 'Channel name - bcast', body: 'hello all' },
      recipients: `eip155:11155111:${CHANNEL}`,
      verificationProof: 'eip712v2:0xabc::uid::u',
    });
    expect(Object.keys(feed.data)).toEqual([
      'type',
      'app',
      'icon',
      'url',
      'sid',
      'epoch',
      'asub',
      'amsg',
      'acta',
      'aimg',
      'etime',
      'hidden',
      'silent',
      'sectype',
      'additionalMeta',
    ]);
  });

  it('qualifies targeted and subset recipients with the sender chain, lower-case', () => {
    const targeted = parseNotificationPayload(
      payload({ type: '3' }, { recipients: `eip155:11155111:${ALICE}` }),
    );
    expect(buildFeedPayload({ ...base, payload: targeted }).recipients).toEqual({
      [`eip155:11155111:${ALICE}`]: null,
    });
    const subset = parseNotificationPayload(payload({ type: '4' }, { recipients: [ALICE, BOB] }));
    expect(buildFeedPayload({ ...base, payload: subset, recipients: [BOB] }).recipients).toEqual({
      [`eip155:11155111:${BOB}`]: null,
    });
  });

  it('applies the truncation limits by code point', () => {
    const long = (n: number) => 'x'.repeat(n);
    const p = parseNotificationPayload(
      payload(
        { asub: long(100), amsg: long(600), acta: long(300), aimg: long(300) },
        {
          notification: { title: long(60), body: `${'😀'.repeat(200)}` },
        },
      ),
    );
    const feed = buildFeedPayload({ ...base, channel: { ...META, name: long(45) }, payload: p });
    expect(feed.data.app).toHaveLength(FEED_LIMITS.app);
    expect(feed.data.asub).toHaveLength(FEED_LIMITS.asub);
    expect(feed.data.amsg).toHaveLength(FEED_LIMITS.amsg);
    expect(feed.data.acta).toHaveLength(FEED_LIMITS.acta);
    expect(feed.data.aimg).toHaveLength(FEED_LIMITS.aimg);
    expect(feed.notification.title).toBe(`${long(45)} - ${long(2)}`);
    expect([...feed.notification.body]).toHaveLength(FEED_LIMITS.body);
    expect(feed.notification.body).toBe('😀'.repeat(180));
  });

  it('uses the secret title, the flags and the meta in the feed shape', () => {
    const p = parseNotificationPayload(
      payload({
        sectype: 'aes+eip155',
        hidden: true,
        silent: 1,
        etime: 2000000000,
        additionalMeta: { type: '1+1', data: 'd' },
      }),
    );
    const feed = buildFeedPayload({ ...base, payload: p, recipients: [ALICE] });
    expect(feed.notification.title).toBe('Channel name has sent you a secret message!');
    expect(feed.data).toMatchObject({
      hidden: '1',
      silent: '1',
      etime: 2000000000,
      sectype: 'aes+eip155',
      additionalMeta: { type: '1+1', domain: 'push.org', data: 'd' },
    });
    const legacy = parseNotificationPayload(payload({ additionalMeta: 'old' }));
    expect(buildFeedPayload({ ...base, payload: legacy }).data.additionalMeta).toBe('old');
  });

  it('requires a full CAIP sender', () => {
    const p = parseNotificationPayload(CAPTURED_BROADCAST);
    expect(errorOf(() => buildFeedPayload({ ...base, sender: `eip155:${CHANNEL}`, payload: p })).field).toBe(
      'sender',
    );
  });
});

describe('properties', () => {
  it('throws only PushError for arbitrary strings and JSON values', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' })),
        onlyPushErrors(parseNotificationPayload),
      ),
      FC,
    );
    fc.assert(fc.property(fc.jsonValue(), onlyPushErrors(parseNotificationPayload)), FC);
    const loose = fc.record(
      {
        notification: fc.oneof(fc.record({ title: fc.jsonValue(), body: fc.jsonValue() }), fc.jsonValue()),
        data: fc.oneof(
          fc.record({
            acta: fc.oneof(fc.string(), fc.jsonValue()),
            aimg: fc.string(),
            amsg: fc.string(),
            asub: fc.string(),
            type: fc.oneof(fc.constantFrom('1', '3', '4', 1, 3, 4), fc.jsonValue()),
            etime: fc.jsonValue(),
            hidden: fc.jsonValue(),
            index: fc.oneof(fc.string(), fc.jsonValue()),
            additionalMeta: fc.oneof(fc.record({ type: fc.string(), data: fc.jsonValue() }), fc.jsonValue()),
          }),
          fc.jsonValue(),
        ),
        recipients: fc.oneof(
          fc.string(),
          fc.array(fc.string()),
          fc.dictionary(fc.string(), fc.constant(null)),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(loose, onlyPushErrors(parseNotificationPayload)), FC);
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) =>
        onlyPushErrors((x) => payloadFromSubgraph(x, b as string))(a),
      ),
      FC,
    );
  });

  it('round-trips formatNotificationPayload → parseNotificationPayload', () => {
    const address = fc.stringMatching(/^[0-9a-f]{40}$/).map((h) => `0x${h}` as Address);
    const nonEmpty = fc.string({ minLength: 1 });
    const arb: fc.Arbitrary<NotificationPayload> = fc
      .record({
        title: fc.string(),
        body: fc.string(),
        type: fc.constantFrom(
          NOTIFICATION_TYPE.BROADCAST,
          NOTIFICATION_TYPE.TARGETED,
          NOTIFICATION_TYPE.SUBSET,
        ),
        acta: fc.string(),
        aimg: fc.string(),
        amsg: fc.string(),
        asub: fc.string(),
        etime: fc.option(fc.integer({ min: 1, max: 99_999_999_999 }), { nil: null }),
        hidden: fc.boolean(),
        silent: fc.boolean(),
        sectype: fc.option(nonEmpty, { nil: null }),
        index: fc.option(
          fc.record({
            category: fc.integer({ min: 1, max: 50 }),
            type: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
            value: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
          }),
          { nil: null },
        ),
        meta: fc.option(
          fc.oneof(
            nonEmpty.map((value) => ({ kind: 'legacy', value }) as const),
            fc
              .tuple(fc.integer({ min: 0, max: 999 }), nonEmpty, fc.string())
              .map(
                ([version, domain, data]) =>
                  ({ kind: 'typed', type: `0+${version}`, useCase: 0, version, domain, data }) as const,
              ),
            fc
              .string()
              .map(
                (data) =>
                  ({ kind: 'typed', type: '1+1', useCase: 1, version: 1, domain: 'push.org', data }) as const,
              ),
          ),
          { nil: null },
        ),
        recipients: fc.uniqueArray(address, { maxLength: 5 }),
      })
      .map((r) => ({
        notification: { title: r.title, body: r.body },
        data: {
          type: r.type,
          acta: r.acta,
          aimg: r.aimg,
          amsg: r.amsg,
          asub: r.asub,
          etime: r.etime,
          hidden: r.hidden,
          silent: r.silent,
          sectype: r.sectype,
          index: r.index,
          additionalMeta: r.meta,
        },
        recipients: r.recipients,
      }));
    fc.assert(
      fc.property(arb, (p) => {
        expect(parseNotificationPayload(JSON.stringify(formatNotificationPayload(p)))).toEqual(p);
      }),
      FC,
    );
  });
});
