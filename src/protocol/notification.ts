/**
 * The notification model: the payload JSON a channel signs or pins to IPFS (reference §4.6, contracts §5.3), its
 * normalised form, and the feed item payload the SDK renders (reference §4.10, SDK contract §2.2).
 */
import { type Address, parseCaip, parseEip155 } from './caip.js';
import type { MinimalIdentity } from './identity.js';
import {
  MAX_SUBSET_RECIPIENTS,
  NOTIFICATION_TYPE,
  type NotificationType,
  parseNotificationType,
} from './notification-type.js';
import { formatIndex, type NotificationIndex, parseIndex } from './settings.js';
import { fail, isPlainObject, own, quote, truncateCodePoints } from './text.js';

export {
  isNotificationType,
  MAX_SUBSET_RECIPIENTS,
  NOTIFICATION_TYPE,
  type NotificationType,
  parseNotificationType,
} from './notification-type.js';

/** `additionalMeta.type` = `<useCase>+<version>` (SDK `ADDITIONAL_META_TYPE`). */
export const ADDITIONAL_META_TYPE = { CUSTOM: 0, PUSH_VIDEO: 1, PUSH_SPACE: 2 } as const;
export type AdditionalMetaUseCase = (typeof ADDITIONAL_META_TYPE)[keyof typeof ADDITIONAL_META_TYPE];
const DEFAULT_META_DOMAIN = 'push.org';

export type AdditionalMeta =
  | {
      kind: 'typed';
      type: string;
      useCase: AdditionalMetaUseCase;
      version: number;
      domain: string;
      data: string;
    }
  /** Pre-standard additionalMeta of any shape, kept as a JSON string (the original node's backward compat). */
  | { kind: 'legacy'; value: string };

export interface NotificationData {
  type: NotificationType;
  acta: string;
  aimg: string;
  amsg: string;
  asub: string;
  /** Expiry, unix seconds. */
  etime: number | null;
  hidden: boolean;
  silent: boolean;
  sectype: string | null;
  index: NotificationIndex | null;
  additionalMeta: AdditionalMeta | null;
}

export interface NotificationPayload {
  notification: { title: string; body: string };
  data: NotificationData;
  /**
   * Lower-case, de-duplicated, in first-seen order; empty when the payload names none (broadcasts and minimal
   * identities take their audience from elsewhere). For a broadcast it is usually the channel itself.
   */
  recipients: Address[];
}

/** Truncation lengths of the feed item (reference §4.10), in Unicode code points. */
export const FEED_LIMITS = {
  title: 50,
  body: 180,
  app: 40,
  asub: 80,
  amsg: 500,
  acta: 255,
  aimg: 255,
} as const;

const INVALID = 'PUSH_ERR_INVALID_PAYLOAD';
/** Unix seconds beyond this (year 5138) are almost certainly milliseconds. */
const MAX_ETIME_SECONDS = 1e11;

/**
 * Validates and normalises a notification payload (the JSON of a `2+` identity or an IPFS object). Accepts the
 * JSON text or an already-parsed value.
 */
export function parseNotificationPayload(input: unknown, field = 'payload'): NotificationPayload {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      fail(INVALID, `payload is not valid JSON (${err instanceof Error ? err.message : String(err)})`, field);
    }
  }
  if (!isPlainObject(value)) fail(INVALID, 'payload must be a JSON object', field);

  const notification = own(value, 'notification');
  if (!isPlainObject(notification))
    fail(INVALID, 'payload.notification must be an object {title, body}', `${field}.notification`);
  const data = own(value, 'data');
  if (!isPlainObject(data)) fail(INVALID, 'payload.data must be an object', `${field}.data`);

  const type = parseNotificationType(own(data, 'type'), `${field}.data.type`);
  const parsed: NotificationPayload = {
    notification: {
      title: requiredString(notification, 'title', `${field}.notification`),
      body: requiredString(notification, 'body', `${field}.notification`),
    },
    data: {
      type,
      acta: requiredString(data, 'acta', `${field}.data`),
      aimg: requiredString(data, 'aimg', `${field}.data`),
      amsg: requiredString(data, 'amsg', `${field}.data`),
      asub: requiredString(data, 'asub', `${field}.data`),
      etime: parseEtime(own(data, 'etime'), `${field}.data.etime`),
      hidden: parseFlag(own(data, 'hidden'), `${field}.data.hidden`),
      silent: parseFlag(own(data, 'silent'), `${field}.data.silent`),
      sectype: optionalString(own(data, 'sectype'), `${field}.data.sectype`),
      index: parseOptionalIndex(own(data, 'index'), `${field}.data.index`),
      additionalMeta: parseAdditionalMeta(own(data, 'additionalMeta'), `${field}.data.additionalMeta`),
    },
    recipients: parseRecipients(value, field),
  };
  return parsed;
}

/** Required, but `null` reads as '' (old payloads wrote null for an absent CTA or image). */
function requiredString(obj: Record<string, unknown>, key: string, at: string): string {
  if (!Object.hasOwn(obj, key)) fail(INVALID, `${at}.${key} is required`, `${at}.${key}`);
  const v = obj[key];
  if (v === null) return '';
  if (typeof v !== 'string') fail(INVALID, `${at}.${key} must be a string, got ${quote(v)}`, `${at}.${key}`);
  return v;
}

function optionalString(v: unknown, at: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') fail(INVALID, `${at} must be a string, got ${quote(v)}`, at);
  return v;
}

/** Booleans arrive as "0"/"1", 0/1, true/false (and "true"/"false"); absent or '' is false. */
function parseFlag(v: unknown, at: string): boolean {
  if (v === undefined || v === null || v === '' || v === false || v === 0 || v === '0' || v === 'false')
    return false;
  if (v === true || v === 1 || v === '1' || v === 'true') return true;
  fail(INVALID, `${at} must be 0/1 or true/false, got ${typeof v === 'number' ? v : quote(v)}`, at);
}

function parseEtime(v: unknown, at: string): number | null {
  // The SDK only sends etime when truthy; absent, null, '' and 0 all mean "never expires".
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return null;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,16}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    fail(
      INVALID,
      `${at} must be unix seconds (a positive integer), got ${typeof v === 'number' ? v : quote(v)}`,
      at,
    );
  }
  if (n > MAX_ETIME_SECONDS) fail(INVALID, `${at} ${n} looks like milliseconds; etime is in seconds`, at);
  return n;
}

function parseOptionalIndex(v: unknown, at: string): NotificationIndex | null {
  if (v === undefined || v === null || v === '') return null;
  return parseIndex(v, at);
}

/**
 * JSON.parse reads any depth, JSON.stringify recurses: a value nested deeply enough overflows the stack. That RangeError
 * is no refusal, and a chain batch carrying it failed on every retry; such a payload is malformed like any other.
 */
function legacyMetaText(v: unknown, at: string): string {
  try {
    return JSON.stringify(v);
  } catch {
    fail(INVALID, `${at} is nested too deeply`, at);
  }
}

function parseAdditionalMeta(v: unknown, at: string): AdditionalMeta | null {
  if (v === undefined || v === null || v === '') return null;
  if (!isPlainObject(v) || !Object.hasOwn(v, 'type')) {
    return { kind: 'legacy', value: typeof v === 'string' ? v : legacyMetaText(v, at) };
  }
  const type = v.type;
  const m = typeof type === 'string' ? /^([0-9])\+([0-9]{1,6})$/.exec(type) : null;
  if (!m)
    fail(INVALID, `${at}.type must be "<useCase>+<version>", e.g. "0+1", got ${quote(type)}`, `${at}.type`);
  const useCase = Number(m[1]);
  const version = Number(m[2]);
  const domainRaw = own(v, 'domain');
  if (domainRaw !== undefined && domainRaw !== null && typeof domainRaw !== 'string') {
    fail(INVALID, `${at}.domain must be a string`, `${at}.domain`);
  }
  const domain = typeof domainRaw === 'string' && domainRaw !== '' ? domainRaw : DEFAULT_META_DOMAIN;
  const data = own(v, 'data');
  if (typeof data !== 'string') fail(INVALID, `${at}.data must be a string`, `${at}.data`);
  if (useCase === ADDITIONAL_META_TYPE.PUSH_VIDEO || useCase === ADDITIONAL_META_TYPE.PUSH_SPACE) {
    if (version !== 1)
      fail(INVALID, `${at}: use case ${useCase} only has version 1, got ${version}`, `${at}.type`);
    if (domain !== DEFAULT_META_DOMAIN) {
      fail(INVALID, `${at}: use case ${useCase} requires domain ${DEFAULT_META_DOMAIN}`, `${at}.domain`);
    }
  } else if (useCase !== ADDITIONAL_META_TYPE.CUSTOM) {
    fail(INVALID, `${at}: unknown use case ${useCase} (0 custom, 1 video, 2 space)`, `${at}.type`);
  }
  return {
    kind: 'typed',
    type: type as string,
    useCase: useCase as AdditionalMetaUseCase,
    version,
    domain,
    data,
  };
}

/**
 * `recipients`: a CAIP/address string (broadcast: the channel; targeted: the user), a legacy comma-separated
 * string, a map `{<caip>: null | secret}` (targeted, subset), or an array. The pre-standard top-level
 * `recipient` key is read when `recipients` is absent.
 */
function parseRecipients(payload: Record<string, unknown>, field: string): Address[] {
  let key = 'recipients';
  let raw = own(payload, key);
  if (raw === undefined) {
    key = 'recipient';
    raw = own(payload, key);
  }
  const at = `${field}.${key}`;
  let list: unknown[];
  if (raw === undefined || raw === null || raw === '') list = [];
  else if (typeof raw === 'string') list = raw.split(',').map((s) => s.trim());
  else if (Array.isArray(raw)) list = raw;
  else if (isPlainObject(raw)) list = Object.keys(raw);
  else fail(INVALID, `${at} must be a string, a map or an array, got ${quote(raw)}`, at);

  const seen = new Set<Address>();
  list.forEach((entry, i) => {
    const account = parseCaip(entry, `${at}[${i}]`);
    if (account.kind !== 'eip155') {
      fail(
        INVALID,
        `${at}[${i}] is a ${account.kind}: DID; notification recipients must be eip155 accounts`,
        `${at}[${i}]`,
      );
    }
    seen.add(account.address);
  });
  // The cap is the subset limit, but it applies to every type: no payload may make the node expand more.
  if (seen.size > MAX_SUBSET_RECIPIENTS) {
    fail(
      'PUSH_ERR_TOO_MANY_RECIPIENTS',
      `${seen.size} distinct recipients; at most ${MAX_SUBSET_RECIPIENTS} per notification`,
      at,
      'split the audience into several subset notifications, or broadcast',
    );
  }
  return [...seen];
}

/**
 * Writes a payload as the SDK would (key order of `getPayloadForAPIInput`, `data.type` as a string, optional keys
 * only when set), e.g. to build a `2+` identity. `parseNotificationPayload` inverts it.
 */
export function formatNotificationPayload(payload: NotificationPayload): Record<string, unknown> {
  const d = payload.data;
  const data: Record<string, unknown> = {
    acta: d.acta,
    aimg: d.aimg,
    amsg: d.amsg,
    asub: d.asub,
    type: String(d.type),
  };
  if (d.etime !== null) data.etime = d.etime;
  if (d.hidden) data.hidden = '1';
  if (d.silent) data.silent = '1';
  if (d.sectype !== null) data.sectype = d.sectype;
  if (d.additionalMeta !== null) {
    const m = d.additionalMeta;
    data.additionalMeta = m.kind === 'legacy' ? m.value : { type: m.type, domain: m.domain, data: m.data };
  }
  if (d.index !== null) data.index = formatIndex(d.index);
  const out: Record<string, unknown> = { notification: { ...payload.notification }, data };
  const r = payload.recipients;
  if (r.length === 1 && d.type !== NOTIFICATION_TYPE.SUBSET) out.recipients = `eip155:${r[0]}`;
  else if (r.length > 0) out.recipients = Object.fromEntries(r.map((a) => [`eip155:${a}`, null]));
  return out;
}

/** The payload the original node builds for a minimal identity `0+<type>+<title>+<body>` (contracts §5.1). */
export function payloadFromMinimal(identity: MinimalIdentity): NotificationPayload {
  return {
    notification: { title: identity.title, body: identity.body },
    data: {
      type: identity.notificationType,
      acta: '',
      aimg: '',
      amsg: identity.body,
      asub: identity.title,
      etime: null,
      hidden: false,
      silent: false,
      sectype: null,
      index: null,
      additionalMeta: null,
    },
    recipients: [],
  };
}

/**
 * Maps a subgraph notification entity (`notification` = JSON `{title, body, cta, image, message, subject, type}`,
 * reference §4.3) and its `recipient` to a payload.
 */
export function payloadFromSubgraph(notification: unknown, recipient?: string | null): NotificationPayload {
  const field = 'subgraph.notification';
  let v = notification;
  if (typeof notification === 'string') {
    try {
      v = JSON.parse(notification);
    } catch {
      fail(INVALID, 'subgraph notification is not valid JSON', field);
    }
  }
  if (!isPlainObject(v)) fail(INVALID, 'subgraph notification must be a JSON object', field);
  const text = (key: string, required: boolean): string => {
    const x = own(v, key);
    if (x === undefined || x === null) {
      if (required) fail(INVALID, `subgraph notification.${key} is required`, `${field}.${key}`);
      return '';
    }
    if (typeof x !== 'string')
      fail(INVALID, `subgraph notification.${key} must be a string`, `${field}.${key}`);
    return x;
  };
  const type = parseNotificationType(own(v, 'type'), `${field}.type`);
  return {
    notification: { title: text('title', true), body: text('body', true) },
    data: {
      type,
      acta: text('cta', false),
      aimg: text('image', false),
      amsg: text('message', false),
      asub: text('subject', false),
      etime: null,
      hidden: false,
      silent: false,
      sectype: null,
      index: null,
      additionalMeta: null,
    },
    recipients:
      recipient === undefined || recipient === null || recipient === ''
        ? []
        : [parseEip155(recipient, 'subgraph.recipient').address],
  };
}

export interface ChannelMeta {
  name: string;
  icon: string;
  url: string;
}

/** `payload` of a feed item exactly as the SDK reads it (SDK contract §2.2, §4). */
export interface FeedPayload {
  data: {
    /** A number: the SDK's stream maps a string type to BROADCAST. */
    type: NotificationType;
    app: string;
    icon: string;
    url: string;
    sid: string;
    epoch: string;
    asub: string;
    amsg: string;
    acta: string;
    aimg: string;
    etime: number | null;
    hidden: '0' | '1';
    silent: '0' | '1';
    sectype: string | null;
    additionalMeta: { type: string; domain: string; data: string } | string | null;
  };
  notification: { title: string; body: string };
  /** Broadcast: the channel CAIP; targeted and subset: `{<caip>: null}`. Lower-case, chain of the sender. */
  recipients: string | Record<string, null>;
  verificationProof: string;
}

export interface FeedPayloadInput {
  payload: NotificationPayload;
  channel: ChannelMeta;
  /** Full CAIP of the sending channel (or alias); its chain id qualifies recipient CAIPs. */
  sender: string;
  /** Feed id, written as a string. */
  sid: string | number;
  /** Processing time, unix seconds (passed in: this module reads no clock). */
  epoch: number;
  verificationProof: string;
  /** The recipients this feed row is for (e.g. one half of a subset); defaults to the payload's list. */
  recipients?: readonly string[];
}

/** Builds the feed item's `payload`, applying the channel prefix and the truncation limits. */
export function buildFeedPayload(input: FeedPayloadInput): FeedPayload {
  const { payload, channel } = input;
  const sender = parseEip155(input.sender, 'sender');
  if (sender.chainId === null)
    fail('PUSH_ERR_INVALID_CAIP', 'sender must be a full CAIP eip155:<chainId>:0x…', 'sender');
  const caip = (address: string) => `eip155:${sender.chainId}:${parseEip155(address, 'recipients').address}`;
  const d = payload.data;

  let recipients: FeedPayload['recipients'];
  if (d.type === NOTIFICATION_TYPE.BROADCAST) {
    recipients = caip(sender.address);
  } else {
    recipients = {};
    for (const r of input.recipients ?? payload.recipients) recipients[caip(r)] = null;
  }

  const title = d.sectype
    ? `${channel.name} has sent you a secret message!`
    : `${channel.name} - ${payload.notification.title}`;
  const meta = d.additionalMeta;
  return {
    data: {
      type: d.type,
      app: truncateCodePoints(channel.name, FEED_LIMITS.app),
      icon: channel.icon,
      url: channel.url,
      sid: String(input.sid),
      epoch: String(Math.floor(input.epoch)),
      asub: truncateCodePoints(d.asub, FEED_LIMITS.asub),
      amsg: truncateCodePoints(d.amsg, FEED_LIMITS.amsg),
      acta: truncateCodePoints(d.acta, FEED_LIMITS.acta),
      aimg: truncateCodePoints(d.aimg, FEED_LIMITS.aimg),
      etime: d.etime,
      hidden: d.hidden ? '1' : '0',
      silent: d.silent ? '1' : '0',
      sectype: d.sectype,
      additionalMeta:
        meta === null
          ? null
          : meta.kind === 'legacy'
            ? meta.value
            : { type: meta.type, domain: meta.domain, data: meta.data },
    },
    notification: {
      title: truncateCodePoints(title, FEED_LIMITS.title),
      body: truncateCodePoints(payload.notification.body, FEED_LIMITS.body),
    },
    recipients,
    verificationProof: input.verificationProof,
  };
}
