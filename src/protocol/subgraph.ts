import type { ErrorCode } from '../errors.js';
import { fail, parseCanonicalUint, quote } from './text.js';

/** `<subgraphId>+<notificationNumber>`: shared by the `3+graph:…` identity and the `thegraph:…` proof. */
export interface SubgraphRef {
  /** e.g. `aiswaryawalter/graph-poc-sample`. */
  subgraphId: string;
  /** The subgraph's `notificationNumber`. */
  counter: number;
}

/**
 * Subgraph ids are The Graph names (`<owner>/<name>`) or deployment hashes. `+` and `:` are the separators of the
 * surrounding formats, so they can never be part of an id; whitespace and other punctuation never are either.
 */
const SUBGRAPH_ID = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const MAX_ID_LENGTH = 200;

export function isValidSubgraphId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && SUBGRAPH_ID.test(id);
}

export function parseSubgraphRef(input: string, code: ErrorCode, what: string, field?: string): SubgraphRef {
  const plus = input.indexOf('+');
  if (plus === -1) fail(code, `${what} must be <subgraphId>+<counter>, got ${quote(input)}`, field);
  const subgraphId = input.slice(0, plus);
  const counterText = input.slice(plus + 1);
  if (!isValidSubgraphId(subgraphId)) {
    fail(code, `${what} has an invalid subgraph id ${quote(subgraphId)} (expected e.g. owner/name)`, field);
  }
  const counter = parseCanonicalUint(counterText);
  if (counter === null) {
    fail(code, `${what} counter must be a non-negative integer, got ${quote(counterText)}`, field);
  }
  return { subgraphId, counter };
}

export function formatSubgraphRef(ref: SubgraphRef): string {
  return `${ref.subgraphId}+${ref.counter}`;
}
