import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** Test support: a pino logger whose JSON lines are kept, raw and parsed. */
export interface CapturedLogs {
  logger: Logger;
  raw: string[];
  lines: () => Array<Record<string, unknown> & { level: number; msg: string }>;
}

export function captureLogs(level: pino.LevelWithSilent = 'debug'): CapturedLogs {
  const raw: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) raw.push(l);
      cb();
    },
  });
  return { logger: pino({ level }, dest), raw, lines: () => raw.map((l) => JSON.parse(l)) };
}

/** The keys of a JSON object's top level in the order written, repeats included (JSON.parse keeps only the last). */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, j + 1)));
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}

/** Keys that appear more than once at the top level of a JSON line. */
export function repeatedKeys(json: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const k of topLevelKeys(json)) (seen.has(k) ? repeated : seen).add(k);
  return [...repeated];
}
