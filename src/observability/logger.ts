import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

/** Structured JSON logs on stdout (pipe through `pino-pretty` for humans); `silent` in tests. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { service: 'push-node' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
