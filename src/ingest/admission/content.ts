import { isPushError, pushError } from '../../errors.js';
import {
  type NotificationPayload,
  type ParsedIdentity,
  parseNotificationPayload,
  payloadFromMinimal,
  payloadFromSubgraph,
} from '../../protocol/index.js';

/** What admission needs from an IPFS client (`src/content` provides it). */
export interface ContentIpfs {
  fetchJson(cid: string, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** A subgraph notification by (subgraph id, notification number). */
export interface ContentSubgraph {
  fetchNotification(
    subgraphId: string,
    counter: number,
  ): Promise<{ notification: unknown; recipient: string | null } | null>;
}

export type ContentOutcome =
  | { kind: 'ready'; payload: NotificationPayload }
  /** Not available yet (retry later); `code` says why. */
  | { kind: 'later'; code: string; message: string };

/** Errors that mean "try again later" rather than "this can never be served". */
const TRANSIENT = new Set([
  'PUSH_ERR_IPFS_UNAVAILABLE',
  'PUSH_ERR_SUBGRAPH_UNAVAILABLE',
  'PUSH_ERR_RPC_UNAVAILABLE',
]);

/**
 * The payload an identity stands for. Inline kinds (0, 2) resolve at once; IPFS (1) and subgraph (3) content is
 * fetched, and an unavailable source yields `later`. `retryMismatch` makes a CID mismatch `later` too (background
 * doors, where a lying gateway must not lose a chain notification); at the HTTP door it is refused.
 * Permanent problems throw their PushError.
 */
export async function resolveContent(
  identity: ParsedIdentity,
  deps: { ipfs?: ContentIpfs | undefined; subgraph?: ContentSubgraph | undefined },
  opts: { retryMismatch: boolean; field: string },
): Promise<ContentOutcome> {
  switch (identity.storageType) {
    case 0:
      return { kind: 'ready', payload: payloadFromMinimal(identity) };
    case 2:
      // parseIdentity has parsed the JSON already: validate that object rather than parse the text again.
      return { kind: 'ready', payload: parseNotificationPayload(identity.payload, opts.field) };
    case 1: {
      if (!deps.ipfs) {
        throw pushError('PUSH_ERR_UNSUPPORTED_IDENTITY', 'This node has no IPFS gateway configured', {
          field: opts.field,
          hint: 'send the payload inline (2+<json>) or configure ipfs.gateways',
        });
      }
      try {
        const json = await deps.ipfs.fetchJson(identity.cid);
        return { kind: 'ready', payload: parseNotificationPayload(json, `${opts.field}(ipfs)`) };
      } catch (err) {
        if (
          isPushError(err) &&
          (TRANSIENT.has(err.code) || (opts.retryMismatch && err.code === 'PUSH_ERR_CID_MISMATCH'))
        )
          return { kind: 'later', code: err.code, message: err.message };
        throw err;
      }
    }
    case 3: {
      if (!deps.subgraph) {
        throw pushError('PUSH_ERR_UNSUPPORTED_IDENTITY', 'This node has no subgraph endpoint configured', {
          field: opts.field,
        });
      }
      try {
        const found = await deps.subgraph.fetchNotification(identity.subgraphId, identity.counter);
        if (!found)
          return { kind: 'later', code: 'PUSH_ERR_SUBGRAPH_UNAVAILABLE', message: 'not indexed yet' };
        return { kind: 'ready', payload: payloadFromSubgraph(found.notification, found.recipient) };
      } catch (err) {
        if (isPushError(err) && TRANSIENT.has(err.code))
          return { kind: 'later', code: err.code, message: err.message };
        throw err;
      }
    }
  }
}
