/**
 * Fetches IPFS content through HTTP path gateways (`<gateway><cid>`, e.g. `https://ipfs.io/ipfs/<cid>`) and accepts
 * it only when the bytes re-derive the CID (`cid.ts`). A gateway that is down, slow, too big or lying is skipped
 * and the next one tried, in the configured order.
 */
import { CID } from 'multiformats/cid';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { isPushError, type PushError, pushError } from '../errors.js';
import { checkCidBytes, inspectCid } from './cid.js';
import { boundedRequest, type HttpOutcome } from './http.js';
import { sharedCounter } from './metrics.js';

export interface IpfsClientOptions {
  /** Path-gateway prefixes, tried in order; a missing trailing `/` is added. */
  gateways: readonly string[];
  /** Per gateway request (connect, headers and body). */
  timeoutMs: number;
  /** Content larger than this is refused; the transfer is cut as soon as it passes the limit. */
  maxBytes: number;
  logger?: Logger;
  registry?: Registry;
}

export interface IpfsFetchOptions {
  /** Stops the fetch (e.g. on shutdown); no further gateway is tried. */
  signal?: AbortSignal;
}

export interface IpfsClient {
  /**
   * The verified content of `cid`. Throws `PUSH_ERR_INVALID_CID` (not a CID this node can verify; permanent),
   * `PUSH_ERR_IPFS_UNAVAILABLE` (no gateway served it; retry later), `PUSH_ERR_CID_MISMATCH` (gateways answered with
   * bytes that are not that content, or a multi-block file), `PUSH_ERR_CONTENT_TOO_LARGE` (every gateway that
   * answered had more than `maxBytes`). Errors carry `details.attempts`: one entry per gateway tried.
   */
  fetch(cid: string, options?: IpfsFetchOptions): Promise<Uint8Array>;
  /** `fetch`, then UTF-8 JSON; content that is not JSON is `PUSH_ERR_INVALID_PAYLOAD` (permanent: it is verified). */
  fetchJson(cid: string, options?: IpfsFetchOptions): Promise<unknown>;
}

export type GatewayOutcome =
  | 'ok'
  | 'not_found'
  | 'http_error'
  | 'timeout'
  | 'network'
  | 'too_large'
  | 'mismatch';

export interface GatewayAttempt {
  /** Host of the gateway (no path or query: safe to log). */
  gateway: string;
  outcome: GatewayOutcome;
  status?: number;
  detail?: string;
}

type FetchResult = 'ok' | 'unavailable' | 'cid_mismatch' | 'too_large' | 'invalid_cid' | 'aborted';

export function createIpfsClient(options: IpfsClientOptions): IpfsClient {
  const logger = options.logger ?? pino({ level: 'silent' });
  const registry = options.registry ?? new Registry();
  const gateways = options.gateways.map((g, i) => normalizeGateway(g, i));
  const timeoutMs = positiveInt(options.timeoutMs, 'ipfs.timeoutMs');
  const maxBytes = positiveInt(options.maxBytes, 'ipfs.maxBytes');

  const fetches = sharedCounter(
    registry,
    'push_node_ipfs_fetch_total',
    'IPFS content fetches by final result',
    ['result'] as const,
  );
  const requests = sharedCounter(
    registry,
    'push_node_ipfs_gateway_requests_total',
    'IPFS gateway requests by gateway host and outcome',
    ['gateway', 'result'] as const,
  );

  async function fetchVerified(cid: string, fetchOptions: IpfsFetchOptions = {}): Promise<Uint8Array> {
    const info = inspectCid(cid);
    if (!info.ok) {
      fetches.inc({ result: 'invalid_cid' });
      throw pushError('PUSH_ERR_INVALID_CID', `Cannot fetch ${quoteCid(cid)}: ${info.reason}`, {
        field: 'cid',
        details: { cid, kind: info.kind },
      });
    }
    if (info.codec === 'raw' && info.hash === 'identity') {
      // The content is the CID's own digest: nothing to ask a gateway for.
      fetches.inc({ result: 'ok' });
      return identityContent(cid);
    }

    const attempts: GatewayAttempt[] = [];
    for (const gateway of gateways) {
      const outcome = await boundedRequest(
        `${gateway.prefix}${cid}`,
        { method: 'GET' },
        { timeoutMs, maxBytes, signal: fetchOptions.signal },
      );
      if (outcome.kind === 'aborted') {
        fetches.inc({ result: 'aborted' });
        throw abortError(cid, outcome.reason, attempts);
      }
      const attempt = judge(gateway.host, cid, outcome);
      attempts.push(attempt);
      requests.inc({ gateway: gateway.host, result: attempt.outcome });
      if (attempt.outcome === 'ok' && outcome.kind === 'response') {
        fetches.inc({ result: 'ok' });
        logger.debug({ cid, gateway: gateway.host, bytes: outcome.bytes.byteLength }, 'ipfs content fetched');
        return outcome.bytes;
      }
      if (attempt.outcome === 'mismatch') {
        logger.warn(
          { cid, gateway: gateway.host, detail: attempt.detail },
          'ipfs gateway served wrong bytes',
        );
      } else {
        logger.debug({ cid, ...attempt }, 'ipfs gateway did not serve the content');
      }
    }
    const error = finalError(cid, attempts, maxBytes);
    fetches.inc({ result: resultOf(error) });
    throw error;
  }

  return {
    fetch: fetchVerified,
    async fetchJson(cid, fetchOptions) {
      const bytes = await fetchVerified(cid, fetchOptions);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw pushError('PUSH_ERR_INVALID_PAYLOAD', `The IPFS content ${cid} is not UTF-8 text`, {
          details: { cid },
        });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw pushError('PUSH_ERR_INVALID_PAYLOAD', `The IPFS content ${cid} is not JSON (${why})`, {
          details: { cid },
        });
      }
    },
  };
}

function judge(
  gateway: string,
  cid: string,
  outcome: Exclude<HttpOutcome, { kind: 'aborted' }>,
): GatewayAttempt {
  switch (outcome.kind) {
    case 'timeout':
      return { gateway, outcome: 'timeout' };
    case 'network':
      return { gateway, outcome: 'network', detail: outcome.message };
    case 'too_large':
      // An error page that is too large is still an error page, not content.
      if (outcome.status < 200 || outcome.status > 299) {
        return { gateway, outcome: 'http_error', status: outcome.status };
      }
      return {
        gateway,
        outcome: 'too_large',
        status: outcome.status,
        detail: `more than the limit (${outcome.received > 0 ? `${outcome.received} bytes received` : 'declared by content-length'})`,
      };
    case 'response': {
      const { status } = outcome;
      if (status === 404 || status === 410) return { gateway, outcome: 'not_found', status };
      if (status !== 200) return { gateway, outcome: 'http_error', status };
      const verdict = checkCidBytes(cid, outcome.bytes);
      if (verdict.ok) return { gateway, outcome: 'ok', status };
      return { gateway, outcome: 'mismatch', status, detail: verdict.reason };
    }
  }
}

/**
 * Which error, when no gateway delivered: answers with bytes outrank silence. If every gateway that answered was
 * over the limit, the content is too large (content addressing: it will not shrink); if any answered with other
 * bytes, it is a mismatch; if none answered, the content is not (yet) available.
 */
function finalError(cid: string, attempts: GatewayAttempt[], maxBytes: number): PushError {
  const summary = attempts.map(describeAttempt).join('; ');
  const details = { cid, attempts };
  const answered = attempts.filter((a) => a.outcome === 'mismatch' || a.outcome === 'too_large');
  if (answered.length > 0 && answered.every((a) => a.outcome === 'too_large')) {
    return pushError(
      'PUSH_ERR_CONTENT_TOO_LARGE',
      `The IPFS content ${cid} is larger than ${maxBytes} bytes`,
      {
        details: { ...details, maxBytes },
        hint: 'raise ipfs.maxBytes if this content is legitimate',
      },
    );
  }
  if (answered.length > 0) {
    return pushError('PUSH_ERR_CID_MISMATCH', `No IPFS gateway served bytes matching ${cid} (${summary})`, {
      details,
      hint: 'the gateways serve other content, or it is a multi-block file this node cannot verify',
    });
  }
  if (attempts.length === 0) {
    return pushError('PUSH_ERR_IPFS_UNAVAILABLE', `No IPFS gateway is configured to fetch ${cid}`, {
      details,
      hint: 'configure ipfs.gateways',
    });
  }
  return pushError('PUSH_ERR_IPFS_UNAVAILABLE', `No IPFS gateway served ${cid} (${summary})`, {
    details,
    hint: 'the content may not be pinned or propagated yet; retry later',
  });
}

function resultOf(error: PushError): FetchResult {
  switch (error.code) {
    case 'PUSH_ERR_CONTENT_TOO_LARGE':
      return 'too_large';
    case 'PUSH_ERR_CID_MISMATCH':
      return 'cid_mismatch';
    default:
      return 'unavailable';
  }
}

function describeAttempt(a: GatewayAttempt): string {
  const status = a.status === undefined ? '' : ` ${a.status}`;
  const detail = a.detail === undefined ? '' : ` (${a.detail})`;
  return `${a.gateway}: ${a.outcome.replace('_', ' ')}${status}${detail}`;
}

function abortError(cid: string, reason: unknown, attempts: GatewayAttempt[]): PushError {
  if (isPushError(reason)) return reason;
  return pushError('PUSH_ERR_IPFS_UNAVAILABLE', `The fetch of ${cid} was aborted`, {
    details: { cid, attempts },
    cause: reason,
  });
}

/** The content of a raw CID with the identity multihash: its digest (`inspectCid` has already parsed it). */
function identityContent(cid: string): Uint8Array {
  return CID.parse(cid).multihash.digest;
}

interface Gateway {
  prefix: string;
  host: string;
}

function normalizeGateway(input: string, index: number): Gateway {
  const field = `ipfs.gateways[${index}]`;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `IPFS gateway ${JSON.stringify(input)} is not a URL`, {
      field,
      hint: 'use a path gateway prefix such as https://ipfs.io/ipfs/',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `IPFS gateway ${JSON.stringify(input)} must be http(s)`, {
      field,
    });
  }
  if (url.search || url.hash) {
    throw pushError(
      'PUSH_ERR_CONFIG_INVALID',
      `IPFS gateway ${JSON.stringify(input)} must not have a query or fragment: the CID is appended to it`,
      { field },
    );
  }
  return { prefix: input.endsWith('/') ? input : `${input}/`, host: url.host };
}

function positiveInt(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `${field} must be a positive integer, got ${String(value)}`, {
      field,
    });
  }
  return value;
}

function quoteCid(cid: unknown): string {
  const text = String(cid);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
