/**
 * Reading providers' JSON-RPC error messages. There is no standard: each provider words "your eth_getLogs asked for
 * too much" and "slow down" its own way, sometimes with a range that would work. These helpers turn the known
 * wordings into facts the adaptive log fetcher can use.
 */

export interface RangeHint {
  /** A block range the provider says would work (inclusive). */
  suggestedFrom?: number;
  suggestedTo?: number;
  /** The provider's block-range cap. */
  maxRange?: number;
  /** The provider's result-count cap. */
  maxResults?: number;
}

const RANGE_ERROR_PATTERNS: RegExp[] = [
  /more than [\d,]+k? results/,
  /too many (?:results|logs)/,
  /block range (?:is )?too (?:wide|large|big)/,
  /range (?:is )?too (?:wide|large|big)/,
  /(?:exceed|exceeds|exceeded) (?:the )?max(?:imum)? (?:block )?range/,
  /max(?:imum)? (?:block )?range (?:exceeded|limit)/,
  /block range limit/,
  /(?:is )?limited to a [\d,]+k? (?:block )?range/,
  /(?:log )?response size (?:exceeded|too large|is too large|should not)/,
  /response (?:is )?too (?:large|big)/,
  /query timeout exceeded/,
  /(?:logs?|results?) (?:count |size )?(?:limit|cap) (?:exceeded|reached)/,
  /exceeded max results/,
  /query exceeds max/,
];

function num(s: string): number {
  const k = /k$/i.test(s);
  const n = Number(s.replace(/[,kK]/g, ''));
  return k ? n * 1000 : n;
}

/** Returns the facts of a "range too large" error, or null when the message is not one. */
export function parseRangeError(message: string): RangeHint | null {
  const m = message.toLowerCase();
  if (!RANGE_ERROR_PATTERNS.some((re) => re.test(m))) return null;
  const hint: RangeHint = {};
  const bracket = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/.exec(m);
  if (bracket) {
    hint.suggestedFrom = Number.parseInt(bracket[1]!, 16);
    hint.suggestedTo = Number.parseInt(bracket[2]!, 16);
  }
  const results = /(?:more than|cap of|max results|exceeded max results) ([\d,]+k?)(?: results| logs)?/.exec(
    m,
  );
  if (results && /result|log/.test(m)) hint.maxResults = num(results[1]!);
  const range =
    /(?:limited to a|max(?:imum)?(?: block)? range(?: is| of| limit(?: of)?)?:?|max is|range limit(?: of)?:?|exceeds? (?:the )?max(?:imum)? block range:?)\s*([\d,]+k?)(?! results| logs)/.exec(
      m,
    );
  if (range) hint.maxRange = num(range[1]!);
  return hint;
}

/** JSON-RPC errors that mean "slow down" (providers use 429, -32005 and -32090 for it). */
export function isRateLimitError(code: number | undefined, message: string): boolean {
  const m = message.toLowerCase();
  if (code === 429 || code === -32090) return true;
  return /rate limit|rate-limit|too many requests|request limit|requests per|capacity exceeded|exceeded .*(?:quota|credits|compute units)|throughput/.test(
    m,
  );
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
