import { PushError } from '../../src/errors.js';

/** Wraps a parser for property tests: any input may be refused, but only with the project's own error type. */
export function onlyPushErrors<T>(fn: (input: T) => unknown): (input: T) => void {
  return (input: T) => {
    try {
      fn(input);
    } catch (err) {
      if (!(err instanceof PushError)) throw err;
    }
  };
}

/** The PushError `fn` throws; fails the test if it throws anything else or nothing. */
export function errorOf(fn: () => unknown): PushError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PushError) return err;
    throw err;
  }
  throw new Error('expected a PushError');
}
