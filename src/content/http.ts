/**
 * One HTTP exchange with a remote content source (IPFS gateway, subgraph), bounded in time and size. Gateways and
 * indexers are strangers: one may hang, trickle, or stream without end, and none of that may stall or flood the
 * node. The outcome is returned as data, never thrown, so callers can try the next source and report every attempt.
 */

export type HttpOutcome =
  | { kind: 'response'; status: number; bytes: Uint8Array; contentType: string | null }
  /** The body (declared or streamed) passed `maxBytes`; the transfer was cut there. */
  | { kind: 'too_large'; status: number; received: number }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string }
  /** The caller's signal fired; `reason` is the signal's reason. */
  | { kind: 'aborted'; reason: unknown };

export interface BoundedRequestLimits {
  /** Whole exchange: connect, headers and body. */
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

export interface BoundedRequestInit {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export async function boundedRequest(
  url: string,
  init: BoundedRequestInit,
  limits: BoundedRequestLimits,
): Promise<HttpOutcome> {
  const { timeoutMs, maxBytes, signal } = limits;
  if (signal?.aborted) return { kind: 'aborted', reason: signal.reason };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(url, { ...init, signal: controller.signal, redirect: 'follow' });
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      controller.abort();
      return { kind: 'too_large', status: res.status, received: 0 };
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > maxBytes) {
          // Stop the transfer here: reading on would let a gateway make the node buffer without bound.
          controller.abort();
          return { kind: 'too_large', status: res.status, received };
        }
        chunks.push(value);
      }
    }
    return {
      kind: 'response',
      status: res.status,
      bytes: concat(chunks, received),
      contentType: res.headers.get('content-type'),
    };
  } catch (err) {
    if (signal?.aborted) return { kind: 'aborted', reason: signal.reason };
    if (timedOut) return { kind: 'timeout' };
    return { kind: 'network', message: describeFetchError(err) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

// undici reports every failure as `TypeError: fetch failed`; the useful part (ECONNREFUSED, …) is in `cause`.
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause === 'object') {
    const detail = typeof cause.code === 'string' ? cause.code : String(cause.message ?? '');
    if (detail) return `${err.message}: ${detail}`;
  }
  return err.message;
}
