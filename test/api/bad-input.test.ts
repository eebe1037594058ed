/**
 * "Every bad input gets a clear error with a stable code, and changes nothing", checked on the whole node (createNode
 * as `push-node start` builds it, indexing off) over both stores: each bad request of the tables below is answered
 * with its 4xx status and `{error: {info, code, field?}}`, and no table of the store has gained or lost a row.
 * Postgres is in because some inputs only fail there (it cannot store U+0000, nor bind an int8 beyond 2^63).
 */
import net from 'node:net';
import pg from 'pg';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import type { PushNode } from '../../src/node.js';
import type { TableName } from '../../src/store/schema.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel, signData } from '../admission/support.js';
import { startTestNode } from '../node/support.js';
import { freshSchemaName, TEST_DATABASE_URL } from '../support/store-backends.js';
import { testTempDirs } from '../support/temp-dir.js';

const OWNER = 1;
const USER = 2;
const CH = `eip155:${CORE_CHAIN_ID}:${getAddress(addr(OWNER))}`;
const U = addr(USER);
const SIG65 = `0x${'11'.repeat(65)}`;
const JSON_CT = { 'content-type': 'application/json' };
const NO_LIMITS = { admission: { perIp: null, perChannel: null } };

/** The V2 opt-in message the SDK signs (4-space JSON). */
const optInMessage = (user: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify(
    {
      channel: getAddress(addr(OWNER)),
      subscriber: getAddress(addr(user)),
      action: 'Subscribe',
      userSetting: '',
      ...extra,
    },
    null,
    4,
  );

interface BadInput {
  name: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  url: string;
  /** JSON-encoded and sent with Content-Type: application/json. */
  json?: unknown;
  /** Sent as is, with `headers`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: ErrorCode;
  field?: string;
}

const feeds = (caip: string) => `/apis/v1/users/${caip}/feeds`;
const caipCase = (name: string, caip: string, field = 'params.caip'): BadInput => ({
  name: `user feed, ${name}`,
  url: feeds(caip),
  status: 400,
  code: 'PUSH_ERR_INVALID_CAIP',
  field,
});
const query = (url: string, name: string, field: string, code: ErrorCode = 'PUSH_ERR_VALIDATION') => ({
  name: `${url.split('?')[0]!.replace(/0x[0-9a-fA-F]{40}/g, '…')} ?${name}`,
  url,
  status: 400,
  code,
  field,
});

/** Bad inputs that need no signature. */
const UNSIGNED: BadInput[] = [
  // CAIP path parameters
  caipCase('no 0x prefix', 'a'.repeat(40)),
  caipCase('39 hex digits', `0x${'a'.repeat(39)}`),
  caipCase('41 hex digits', `0x${'a'.repeat(41)}`),
  caipCase('43 hex digits', `0x${'a'.repeat(43)}`),
  caipCase('non-hex digit', `0x${'g'.repeat(40)}`),
  caipCase('upper-case namespace', `EIP155:${CORE_CHAIN_ID}:${U}`),
  caipCase('unknown namespace', `cosmos:hub:${U}`),
  caipCase('chain id 0', `eip155:0:${U}`),
  caipCase('chain id with a leading zero', `eip155:0${CORE_CHAIN_ID}:${U}`),
  caipCase('chain id beyond 2^53', `eip155:99999999999999999999:${U}`),
  caipCase('partial CAIP inside a full one', `eip155:${CORE_CHAIN_ID}:eip155:${U}`),
  caipCase('too many segments', `eip155:1:2:${U}`),
  caipCase('NUL (%00)', '%00'),
  caipCase('NUL after the address', `${U}%00`),
  caipCase('zero-width space after the address', `${U}%E2%80%8B`),
  caipCase('emoji', '%F0%9F%98%80'),
  caipCase('leading space', `%20${U}`),
  caipCase('an scw: DID where an account is needed', `scw:eip155:${CORE_CHAIN_ID}:${U}`),
  {
    name: 'user feed, CAIP of 257 characters',
    url: feeds(`0x${'a'.repeat(255)}`),
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
    field: 'params.caip',
  },
  {
    name: 'user feed, path segment of 600 characters',
    url: feeds('a'.repeat(600)),
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
  },
  {
    name: 'user feed, invalid percent-encoding (%FF)',
    url: feeds('%FF'),
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
  },
  {
    name: 'channel, invalid percent-encoding (%E0%A4%A)',
    url: '/apis/v1/channels/%E0%A4%A',
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
  },
  ...[
    `/apis/v1/channels/0xzz`,
    `/apis/v1/channels/0xzz/subscribers`,
    `/apis/v1/channels/0xzz/delegates`,
    `/apis/v1/channels/0xzz/tags`,
    `/apis/v1/channels/0xzz/feeds`,
    `/apis/v2/channels/0xzz/notifications`,
    `/apis/v1/alias/0xzz/channel`,
    `/apis/v1/users/0xzz/subscriptions`,
    `/apis/v1/users/0xzz/delegations`,
    `/apis/v1/users/0xzz/spam/channels`,
    `/apis/v1/users/0xzz/notifications`,
  ].map((url) => ({
    name: `${url}`,
    url,
    status: 400,
    code: 'PUSH_ERR_INVALID_CAIP' as const,
    field: 'params.caip',
  })),
  {
    name: 'user channel feed, bad channel',
    url: `/apis/v1/users/${U}/channels/0xzz/feeds`,
    status: 400,
    code: 'PUSH_ERR_INVALID_CAIP',
    field: 'params.channel',
  },
  {
    name: 'channel icon, bad channel',
    url: '/apis/v1/channels/icon/nope',
    status: 400,
    code: 'PUSH_ERR_INVALID_CAIP',
    field: 'params.channel',
  },

  // page and limit
  ...['0', '-1', '1.5', 'abc', '', '1000001', '1e400', '1&page=2'].map((v) =>
    query(`${feeds(U)}?page=${v}`, `page=${v}`, 'querystring.page'),
  ),
  ...['0', '-5', '2.5', 'abc', '', '1e400', '1&limit=2'].map((v) =>
    query(`${feeds(U)}?limit=${v}`, `limit=${v}`, 'querystring.limit'),
  ),
  query('/apis/v1/channels?page=0', 'page=0', 'querystring.page'),
  query('/apis/v1/channels/search?query=a&limit=x', 'limit=x', 'querystring.limit'),
  query(`/apis/v1/channels/${CH}/subscribers?page=-3`, 'page=-3', 'querystring.page'),
  query(`/apis/v2/channels/${CH}/notifications?limit=1.1`, 'limit=1.1', 'querystring.limit'),
  query('/apis/v1/channels/search/tags?query=a&page=x', 'page=x', 'querystring.page'),
  query('/apis/v1/channels/tags/all?limit=0', 'limit=0', 'querystring.limit'),

  // booleans, cursors, enums
  query(`${feeds(U)}?spam=maybe`, 'spam=maybe', 'querystring.spam'),
  query(`${feeds(U)}?spam=1`, 'spam=1', 'querystring.spam'),
  query(`${feeds(U)}?spam=true&spam=false`, 'spam twice', 'querystring.spam'),
  query(`${feeds(U)}?showHidden=yes`, 'showHidden=yes', 'querystring.showHidden'),
  ...['0', '1.5', 'abc', '1e20', '-1e20', '1e300', '9007199254740993', 'Infinity', '-1e400'].map((v) =>
    query(`${feeds(U)}?before=${v}`, `before=${v}`, 'querystring.before'),
  ),
  query(`/apis/v1/users/${U}/channels/${CH}/feeds?before=1e20`, 'before=1e20', 'querystring.before'),
  query(
    `/apis/v1/channels/${CH}/feeds?notificationType=2`,
    'notificationType=2',
    'querystring.notificationType',
  ),
  query(
    `/apis/v2/channels/${CH}/notifications?notificationType=abc`,
    'notificationType=abc',
    'querystring.notificationType',
  ),
  query(`/apis/v2/channels/${CH}/notifications?raw=maybe`, 'raw=maybe', 'querystring.raw'),
  query(`/apis/v1/channels/${CH}/subscribers?category=0`, 'category=0', 'querystring.category'),
  query(`/apis/v1/channels/${CH}/subscribers?category=1e400`, 'category=1e400', 'querystring.category'),
  query(`/apis/v1/channels/${CH}/subscribers?setting=maybe`, 'setting=maybe', 'querystring.setting'),

  // strings in the query
  query('/apis/v1/channels?order=sideways', 'order=sideways', 'querystring.order'),
  query(`/apis/v1/channels?tag=${'t'.repeat(129)}`, 'tag of 129', 'querystring.tag'),
  query('/apis/v1/channels?tag=a&tag=b', 'tag twice', 'querystring.tag'),
  query('/apis/v1/channels?tag=%00', 'tag=NUL', 'querystring.tag'),
  query('/apis/v1/channels/search', 'no query', 'querystring.query'),
  query('/apis/v1/channels/search?query=', 'query empty', 'querystring.query'),
  query(`/apis/v1/channels/search?query=${'q'.repeat(257)}`, 'query of 257', 'querystring.query'),
  query('/apis/v1/channels/search?query=a&query=b', 'query twice', 'querystring.query'),
  query('/apis/v1/channels/search?query=%00', 'query=NUL', 'querystring.query'),
  query('/apis/v1/channels/search?query=a%00b', 'query with NUL inside', 'querystring.query'),
  query('/apis/v1/channels/search/tags', 'no query', 'querystring.query'),
  query(`/apis/v1/channels/search/tags?query=${'q'.repeat(129)}`, 'query of 129', 'querystring.query'),
  query('/apis/v1/channels/search/tags?query=%00', 'query=NUL', 'querystring.query'),
  query('/apis/v1/channels/tags/all?order=x', 'order=x', 'querystring.order'),
  query('/apis/v1/channels/tags/all?filter=%00', 'filter=NUL', 'querystring.filter'),
  query(
    `/apis/v1/users/${U}/subscriptions?channel=nope`,
    'channel=nope',
    'query.channel',
    'PUSH_ERR_INVALID_CAIP',
  ),
  query(`/apis/v1/users/${U}/subscriptions?channel=a&channel=b`, 'channel twice', 'querystring.channel'),
  query('/apis/v2/users', 'no caip10', 'querystring.caip10'),
  query('/apis/v2/users?caip10=', 'caip10 empty', 'querystring.caip10'),
  query('/apis/v2/users?caip10=a&caip10=b', 'caip10 twice', 'querystring.caip10'),
  query('/apis/v2/users?caip10=0x12', 'caip10=0x12', 'query.caip10', 'PUSH_ERR_INVALID_CAIP'),

  // unknown routes and methods
  { name: 'unknown route', url: '/apis/v1/nope', status: 404, code: 'PUSH_ERR_NOT_FOUND' },
  { name: 'GET on the payload door', url: '/apis/v1/payloads', status: 404, code: 'PUSH_ERR_NOT_FOUND' },
  {
    name: 'PATCH payloads',
    method: 'PATCH',
    url: '/apis/v1/payloads',
    json: {},
    status: 404,
    code: 'PUSH_ERR_NOT_FOUND',
  },
  {
    name: 'DELETE channels',
    method: 'DELETE',
    url: '/apis/v1/channels',
    status: 404,
    code: 'PUSH_ERR_NOT_FOUND',
  },
  { name: 'PUT status', method: 'PUT', url: '/status', status: 404, code: 'PUSH_ERR_NOT_FOUND' },
  {
    name: 'POST on a read route',
    method: 'POST',
    url: '/apis/v1/channels',
    json: {},
    status: 404,
    code: 'PUSH_ERR_NOT_FOUND',
  },
  {
    name: 'a dashboard path outside its files',
    url: '/ui/%2e%2e/package.json',
    status: 404,
    code: 'PUSH_ERR_NOT_FOUND',
  },

  // POST /apis/v1/payloads: the body
  ...payloadBodyCases(),

  // POST /apis/v1/channels/:caip/subscribe|unsubscribe, unsigned
  ...subscribeCases(),

  // POST /apis/channels/_get_subscribers (reads, but takes a body)
  ...[
    { name: 'null', json: null, field: 'body' },
    { name: 'no channel', json: { op: 'read' }, field: 'body.channel' },
    { name: 'channel a number', json: { channel: 5 }, field: 'body.channel' },
    { name: 'channel an array', json: { channel: [CH] }, field: 'body.channel' },
    { name: 'channel an object', json: { channel: { a: CH } }, field: 'body.channel' },
    { name: 'channel of 257', json: { channel: 'c'.repeat(257) }, field: 'body.channel' },
    { name: 'blockchain not a number', json: { channel: CH, blockchain: 'abc' }, field: 'body.blockchain' },
    { name: 'blockchain 0', json: { channel: CH, blockchain: '0' }, field: 'body.blockchain' },
    { name: 'blockchain an object', json: { channel: CH, blockchain: {} }, field: 'body.blockchain' },
  ].map(
    (c): BadInput => ({
      name: `_get_subscribers, ${c.name}`,
      method: 'POST',
      url: '/apis/channels/_get_subscribers',
      json: c.json,
      status: 400,
      code: 'PUSH_ERR_VALIDATION',
      field: c.field,
    }),
  ),
  {
    name: '_get_subscribers, bad channel',
    method: 'POST',
    url: '/apis/channels/_get_subscribers',
    json: { channel: 'nope' },
    status: 400,
    code: 'PUSH_ERR_INVALID_CAIP',
    field: 'body.channel',
  },
];

function payloadBodyCases(): BadInput[] {
  const url = '/apis/v1/payloads';
  const ok = {
    verificationProof: `eip712v2:${SIG65}::uid::1`,
    sender: CH,
    recipient: CH,
    source: 'ETH_TEST_SEPOLIA',
    identity: '2+{}',
  };
  const post = (name: string, b: Partial<BadInput>): BadInput => ({
    name: `payloads, ${name}`,
    method: 'POST',
    url,
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
    ...b,
  });
  const raw = (name: string, body: string | Buffer, field: string | undefined, headers = JSON_CT) =>
    post(name, { raw: body, headers, ...(field ? { field } : {}) });
  const cases: BadInput[] = [
    post('no body, no content type', { raw: undefined, headers: {}, field: 'body' }),
    raw('empty JSON body', '', 'body'),
    raw('invalid JSON', '{bad json', 'body'),
    raw('two JSON values', '{"a":1}{"b":2}', 'body'),
    raw('a __proto__ key', '{"__proto__":{"polluted":1},"verificationProof":"a"}', 'body'),
    raw('a constructor.prototype key', '{"constructor":{"prototype":{"polluted":1}}}', 'body'),
    raw(
      'invalid UTF-8 in a key',
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      'body.verificationProof',
    ),
    raw('a JSON array', '[]', 'body'),
    raw('a JSON string', '"x"', 'body'),
    raw('a JSON number', '12', 'body'),
    raw('JSON null', 'null', 'body'),
    raw('deeply nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'body'),
    raw('text/plain', 'hello', 'body', { 'content-type': 'text/plain' }),
    raw('form-encoded', 'a=b', 'headers.content-type', {
      'content-type': 'application/x-www-form-urlencoded',
    }),
    raw('an unknown JSON-like type', '{}', 'headers.content-type', { 'content-type': 'application/jsonx' }),
    post('over the body size cap', {
      raw: JSON.stringify({ ...ok, identity: `2+${'a'.repeat(2 * 1024 * 1024)}` }),
      headers: JSON_CT,
      status: 413,
      code: 'PUSH_ERR_BODY_TOO_LARGE',
    }),
    post('an empty object', { json: {}, field: 'body.verificationProof' }),
  ];
  for (const key of Object.keys(ok) as (keyof typeof ok)[]) {
    const { [key]: _dropped, ...rest } = ok;
    cases.push(post(`no ${key}`, { json: rest, field: `body.${key}` }));
    cases.push(post(`${key} empty`, { json: { ...ok, [key]: '' }, field: `body.${key}` }));
    cases.push(post(`${key} a number`, { json: { ...ok, [key]: 1 }, field: `body.${key}` }));
    cases.push(post(`${key} null`, { json: { ...ok, [key]: null }, field: `body.${key}` }));
    cases.push(post(`${key} true`, { json: { ...ok, [key]: true }, field: `body.${key}` }));
    cases.push(post(`${key} an array of it`, { json: { ...ok, [key]: [ok[key]] }, field: `body.${key}` }));
    cases.push(post(`${key} an object`, { json: { ...ok, [key]: { v: ok[key] } }, field: `body.${key}` }));
  }
  cases.push(
    post('verificationProof of 8193', {
      json: { ...ok, verificationProof: 'p'.repeat(8193) },
      field: 'body.verificationProof',
    }),
    post('sender of 257', { json: { ...ok, sender: `eip155:${'1'.repeat(250)}` }, field: 'body.sender' }),
    post('source of 65', { json: { ...ok, source: 'S'.repeat(65) }, field: 'body.source' }),
    post('identity with a NUL', { json: { ...ok, identity: '0+1+a\u0000b+body' }, field: 'body.identity' }),
    post('rules a number', { json: { ...ok, rules: 5 }, field: 'body.rules' }),
    post('rules an array', { json: { ...ok, rules: [] }, field: 'body.rules' }),
    post('malformed proof', {
      json: { ...ok, verificationProof: 'eip712v2:0x11' },
      code: 'PUSH_ERR_INVALID_PROOF',
      field: 'verificationProof',
    }),
    post('proof with a NUL in its uid', {
      json: { ...ok, verificationProof: `eip712v2:${SIG65}::uid::1\u0000` },
      code: 'PUSH_ERR_INVALID_PROOF',
      field: 'verificationProof',
    }),
    post('unknown proof type', {
      json: { ...ok, verificationProof: 'sha256:abc' },
      code: 'PUSH_ERR_UNSUPPORTED_PROOF',
      field: 'verificationProof',
    }),
    post('sender not a CAIP', {
      json: { ...ok, sender: 'nope' },
      code: 'PUSH_ERR_INVALID_CAIP',
      field: 'sender',
    }),
    post('recipient not a CAIP', {
      json: { ...ok, recipient: '0x12' },
      code: 'PUSH_ERR_INVALID_CAIP',
      field: 'recipient',
    }),
    post('unknown source', {
      json: { ...ok, source: 'MARS_MAINNET' },
      code: 'PUSH_ERR_INVALID_SOURCE',
      field: 'source',
    }),
    post('identity of an unknown storage type', {
      json: { ...ok, identity: '9+x' },
      code: 'PUSH_ERR_UNSUPPORTED_IDENTITY',
      field: 'identity',
    }),
  );
  return cases;
}

function subscribeCases(): BadInput[] {
  const post = (name: string, b: Partial<BadInput>, action = 'subscribe'): BadInput => ({
    name: `${action}, ${name}`,
    method: 'POST',
    url: `/apis/v1/channels/${CH}/${action}`,
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
    ...b,
  });
  const proof = `eip712v2:${SIG65}`;
  return [
    post('no body', { raw: undefined, headers: {}, field: 'body' }),
    post('a JSON string', { raw: '"x"', headers: JSON_CT, field: 'body' }),
    post('invalid JSON', { raw: '{"verificationProof":', headers: JSON_CT, field: 'body' }),
    post('no message', { json: { verificationProof: proof }, field: 'body.message' }),
    post('no verificationProof', { json: { message: optInMessage(USER) }, field: 'body.verificationProof' }),
    post('verificationProof a number', {
      json: { verificationProof: 7, message: 'x' },
      field: 'body.verificationProof',
    }),
    post('verificationProof an array', {
      json: { verificationProof: [proof], message: 'x' },
      field: 'body.verificationProof',
    }),
    post('origin a number', {
      json: { verificationProof: proof, message: 'x', origin: 5 },
      field: 'body.origin',
    }),
    post('origin null', {
      json: { verificationProof: proof, message: 'x', origin: null },
      field: 'body.origin',
    }),
    post('origin of 257', {
      json: { verificationProof: proof, message: 'x', origin: 'o'.repeat(257) },
      field: 'body.origin',
    }),
    ...[null, 5, [], 'not json'].map((message) =>
      post(`message ${JSON.stringify(message)}`, {
        json: { verificationProof: proof, message },
        code: 'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
        field: 'message',
      }),
    ),
    post('a V2 message without action', {
      json: { verificationProof: proof, message: '{}' },
      code: 'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
      field: 'message.action',
    }),
    post('a V1 message without action', {
      json: { verificationProof: SIG65, message: {} },
      code: 'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
      field: 'message.action',
    }),
    post('a V1 message with a channel that is a number', {
      json: { verificationProof: SIG65, message: { channel: 1, subscriber: U, action: 'Subscribe' } },
      code: 'PUSH_ERR_INVALID_CAIP',
      field: 'message.channel',
    }),
    post('message for another channel', {
      json: { verificationProof: proof, message: optInMessage(USER, { channel: getAddress(addr(9)) }) },
      code: 'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
      field: 'message.channel',
    }),
    post(
      'an opt-in message on the unsubscribe door',
      {
        json: { verificationProof: proof, message: optInMessage(USER) },
        code: 'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
        field: 'message.action',
      },
      'unsubscribe',
    ),
    post('malformed proof', {
      json: { verificationProof: 'eip712v2:0x11', message: optInMessage(USER) },
      code: 'PUSH_ERR_INVALID_PROOF',
      field: 'verificationProof',
    }),
    post('a pgpv4 proof that is not armored', {
      json: { verificationProof: 'pgpv4:abc', message: optInMessage(USER) },
      code: 'PUSH_ERR_INVALID_PROOF',
      field: 'verificationProof',
    }),
    post('a pgpv4 proof (this node verifies EIP-712 only)', {
      json: {
        verificationProof: 'pgpv4:-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----',
        message: optInMessage(USER),
      },
      code: 'PUSH_ERR_UNSUPPORTED_PROOF',
      field: 'verificationProof',
    }),
    {
      name: 'subscribe, channel without a chain id',
      method: 'POST',
      url: `/apis/v1/channels/${U}/subscribe`,
      json: { verificationProof: proof, message: optInMessage(USER) },
      status: 400,
      code: 'PUSH_ERR_INVALID_CAIP',
      field: 'channel',
    },
    {
      name: 'subscribe, channel not a CAIP',
      method: 'POST',
      url: '/apis/v1/channels/nope/subscribe',
      json: { verificationProof: proof, message: optInMessage(USER) },
      status: 400,
      code: 'PUSH_ERR_INVALID_CAIP',
      field: 'channel',
    },
    {
      name: 'subscribe, channel on a chain the node does not serve',
      method: 'POST',
      url: `/apis/v1/channels/eip155:1:${getAddress(addr(OWNER))}/subscribe`,
      json: { verificationProof: proof, message: optInMessage(USER) },
      status: 400,
      code: 'PUSH_ERR_CHAIN_NOT_SUPPORTED',
      field: 'channel',
    },
  ];
}

/** Bad inputs around a valid signature: only the part named is wrong. */
async function signedCases(): Promise<BadInput[]> {
  const message = optInMessage(USER);
  const proof = `eip712v2:${await signData(USER, CORE_CHAIN_ID, message)}`;
  const subscribe = `/apis/v1/channels/${CH}/subscribe`;
  const send = await sdkSend(OWNER, CORE_CHAIN_ID, addr(OWNER), { title: 'signed' });
  const post = (name: string, url: string, json: unknown, b: Partial<BadInput>): BadInput => ({
    name: `signed: ${name}`,
    method: 'POST',
    url,
    json,
    status: 400,
    code: 'PUSH_ERR_VALIDATION',
    ...b,
  });
  return [
    post(
      'opt-in with an origin carrying a NUL',
      subscribe,
      { verificationProof: proof, message, origin: 'a\u0000b' },
      { field: 'body.origin' },
    ),
    post(
      'opt-in with an origin that is a number',
      subscribe,
      { verificationProof: proof, message, origin: 7 },
      { field: 'body.origin' },
    ),
    post(
      'opt-in with the proof in an array',
      subscribe,
      { verificationProof: [proof], message },
      { field: 'body.verificationProof' },
    ),
    post(
      'payload with the proof in an array',
      '/apis/v1/payloads',
      { ...send, verificationProof: [send.verificationProof] },
      {
        field: 'body.verificationProof',
      },
    ),
    post(
      'payload with the identity in an array',
      '/apis/v1/payloads',
      { ...send, identity: [send.identity] },
      {
        field: 'body.identity',
      },
    ),
    post(
      'payload signed with a minimal identity carrying a NUL',
      '/apis/v1/payloads',
      await sdkSend(OWNER, CORE_CHAIN_ID, addr(OWNER), { identity: '0+1+a\u0000b+body' }),
      {
        field: 'body.identity',
      },
    ),
  ];
}

const SIGNED = await signedCases();

type Backend = 'sqlite' | 'postgres';

/** The whole node on `backend`; on Postgres in a schema of its own (dropped by `drop`). */
async function startNode(
  backend: Backend,
  dataDir: string,
): Promise<{ node: PushNode; drop(): Promise<void> }> {
  if (backend === 'sqlite')
    return { node: await startTestNode(dataDir, {}, NO_LIMITS), drop: async () => {} };
  const schema = freshSchemaName();
  const node = await startTestNode(dataDir, { PUSH_NODE_DATABASE_URL: TEST_DATABASE_URL }, NO_LIMITS, {
    databaseSchema: schema,
  });
  return {
    node,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
    },
  };
}

const TABLES: TableName[] = [
  'inputs',
  'blocks',
  'chain_cursors',
  'journal',
  'channels',
  'aliases',
  'delegates',
  'subscriptions',
  'notifications',
  'feed_entries',
  'subscription_events',
  'subscription_periods',
  'channel_subscriber_counts',
];

/** One raw HTTP/1.1 exchange (for what Node's HTTP parser refuses before any route runs). */
function rawHttp(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

const tempDirs = testTempDirs('push-node-bad-input-');

describe.each(['sqlite', 'postgres'] as const)('bad HTTP input on %s', (backend) => {
  let node: PushNode;
  let drop: () => Promise<void>;
  let before: Record<string, number>;

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const row = await node.store.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(row.n);
    }
    return out;
  };

  beforeAll(async () => {
    ({ node, drop } = await startNode(backend, tempDirs.make()));
    await seedChannel(node.store.db, OWNER, { name: 'Bad Input', settings: '1+1-1', description: 'Alerts' });
    // The doors work: one notification and one opt-in go through, so every refusal below is the bad part's doing.
    const good = await node.app.inject({
      method: 'POST',
      url: '/apis/v1/payloads',
      payload: await sdkSend(OWNER, CORE_CHAIN_ID, addr(OWNER), { title: 'good' }),
    });
    expect(good.statusCode, good.body).toBe(204);
    const message = optInMessage(3);
    const optIn = await node.app.inject({
      method: 'POST',
      url: `/apis/v1/channels/${CH}/subscribe`,
      payload: { verificationProof: `eip712v2:${await signData(3, CORE_CHAIN_ID, message)}`, message },
    });
    expect(optIn.statusCode, optIn.body).toBe(204);
    before = await counts();
    expect(before.notifications).toBe(1);
    expect(before.subscriptions).toBe(1);
  });

  afterAll(async () => {
    await node?.stop();
    await drop?.();
    tempDirs.removeAll();
  });

  const check = async (c: BadInput) => {
    const res = await node.app.inject({
      method: c.method ?? 'GET',
      url: c.url,
      ...(c.json !== undefined
        ? { payload: JSON.stringify(c.json), headers: JSON_CT }
        : { payload: c.raw, headers: c.headers ?? {} }),
    });
    const body = (res.body ? res.json() : {}) as {
      error?: { info?: unknown; code?: unknown; field?: unknown };
    };
    expect(
      { status: res.statusCode, code: body.error?.code, field: body.error?.field },
      `${c.method ?? 'GET'} ${c.url.slice(0, 200)} → ${res.body.slice(0, 300)}`,
    ).toEqual({ status: c.status, code: c.code, field: c.field });
    expect(typeof body.error?.info === 'string' && body.error.info.length > 0).toBe(true);
    expect(await counts()).toEqual(before);
  };

  it.each(UNSIGNED.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));

  it.each(SIGNED.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));

  it('an OPTIONS without Origin is answered like a preflight (204), not refused in plain text', async () => {
    const res = await node.app.inject({ method: 'OPTIONS', url: '/apis/v1/payloads' });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
  });

  it.each([
    [
      'headers (the URL included) over 16 KiB',
      `GET /apis/v1/channels/search?query=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      431,
    ],
    ['an unknown method', 'FOO / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
    ['a request line that is not HTTP', 'garbage\r\n\r\n', 400],
    [
      'a Content-Length that is not a number',
      'POST /apis/v1/payloads HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n',
      400,
    ],
  ] as const)('raw HTTP: %s', async (_name, request, status) => {
    const answer = await rawHttp(node.url, request);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe(
      `HTTP/1.1 ${status} ${(await import('node:http')).STATUS_CODES[status]}`,
    );
    expect(JSON.parse(body)).toMatchObject({
      error: { code: 'PUSH_ERR_VALIDATION', info: expect.any(String) },
    });
    expect(await counts()).toEqual(before);
  });
});
