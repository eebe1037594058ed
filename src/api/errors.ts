import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isPushError, type PushError, pushError } from '../errors.js';

/** Maps anything thrown by a route to the node's error body (`{error:{info, code, field?, hint?}}`). */
export function toPushError(err: unknown): PushError {
  if (isPushError(err)) return err;
  const fe = err as FastifyError & {
    validation?: { instancePath?: string; params?: { missingProperty?: string } }[];
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
    return pushError('PUSH_ERR_VALIDATION', fe.message, { field });
  }
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return pushError('PUSH_ERR_BODY_TOO_LARGE', fe.message);
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return pushError('PUSH_ERR_VALIDATION', fe.message, { hint: 'send Content-Type: application/json' });
  }
  if (fe?.code?.startsWith('FST_ERR_CTP') || fe?.statusCode === 400) {
    return pushError('PUSH_ERR_VALIDATION', fe.message);
  }
  return pushError('PUSH_ERR_INTERNAL', 'Internal error', { cause: err });
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toPushError(err);
    if (e.status >= 500) logger.error({ err, url: req.url, method: req.method }, 'request failed');
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
