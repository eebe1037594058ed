import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isPushError, type PushError, pushError } from '../errors.js';
import { NO_NUL } from './routes/schemas.js';

/** Maps anything thrown by a route to the node's error body (`{error:{info, code, field?, hint?}}`). */
export function toPushError(err: unknown): PushError {
  if (isPushError(err)) return err;
  const fe = err as FastifyError & {
    validation?: {
      keyword?: string;
      instancePath?: string;
      params?: { missingProperty?: string; pattern?: string };
    }[];
  };
  if (fe?.validation) {
    const v = fe.validation[0];
    const field = [
      fe.validationContext,
      (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.'),
      v?.params?.missingProperty,
    ]
      .filter(Boolean)
      .join('.');
    // Ajv would quote the pattern; say what it means.
    const info =
      v?.keyword === 'pattern' && v.params?.pattern === NO_NUL
        ? `${field} must not contain the character U+0000 (NUL)`
        : fe.message;
    return pushError('PUSH_ERR_VALIDATION', info, { field });
  }
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return pushError('PUSH_ERR_BODY_TOO_LARGE', fe.message);
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return pushError('PUSH_ERR_VALIDATION', fe.message, {
      field: 'headers.content-type',
      hint: 'send Content-Type: application/json',
    });
  }
  if (fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return pushError('PUSH_ERR_VALIDATION', fe.message, {
      field: 'body',
      hint: 'send one JSON object; keys named __proto__ or constructor.prototype are refused',
    });
  }
  // A path segment longer than the router's maxParamLength: no route could take it.
  if (fe?.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return pushError('PUSH_ERR_VALIDATION', 'a segment of the URL path is too long', {
      hint: 'addresses are CAIP-10 strings of at most 256 characters',
    });
  }
  if (fe?.code?.startsWith('FST_ERR_CTP') || fe?.statusCode === 400) {
    return pushError('PUSH_ERR_VALIDATION', fe.message);
  }
  return pushError('PUSH_ERR_INTERNAL', 'Internal error', { cause: err });
}

/**
 * Whether a 5xx answer is one the node gives on purpose (a PushError with a code of its own, e.g. 501 for an API this
 * node does not implement, 503 while shutting down or while a dependency is unavailable): the request was handled as
 * designed, so it gets one line without a stack. Anything else (not a PushError, or PUSH_ERR_INTERNAL) is a bug.
 */
export function isExpectedServerError(err: unknown): boolean {
  return isPushError(err) && err.code !== 'PUSH_ERR_INTERNAL';
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toPushError(err);
    if (e.status >= 500) {
      if (!isExpectedServerError(err)) {
        logger.error({ err, url: req.url, method: req.method }, 'request failed');
      } else {
        // 501 (an SDK call this node answers "unsupported" by design) is routine; an unavailable dependency is not.
        const line = { code: e.code, status: e.status, url: req.url, method: req.method, reason: e.message };
        if (e.status === 501) logger.info(line, 'request refused: not supported by this node');
        else logger.warn(line, 'request failed');
      }
    }
    if (e.code === 'PUSH_ERR_RATE_LIMITED' && typeof e.details?.retryAfterSeconds === 'number') {
      reply.header('Retry-After', String(e.details.retryAfterSeconds));
    }
    return reply.status(e.status).send(e.toBody());
  };
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  const e = pushError('PUSH_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
  return reply.status(404).send(e.toBody());
}
