/** Without the native secp256k1 binding the pool verifies with noble (pure JS), and says so at start. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('the verifier pool without its native binding', () => {
  it('falls back to noble and says so in the logs', async () => {
    const root = resolve(import.meta.dirname, '../../..');
    const dir = mkdtempSync(join(tmpdir(), 'push-nonative-'));
    try {
      // A preload that makes the native binding fail to load, as on a machine where it was never built.
      writeFileSync(
        join(dir, 'no-native.cjs'),
        `const M = require('node:module'); const load = M._load;
         M._load = function (req, ...rest) { if (/secp256k1[\\\\/]bindings/.test(req) || /node-gyp-build/.test(req)) throw new Error('binding not built'); return load.call(this, req, ...rest); };`,
      );
      writeFileSync(
        join(dir, 'run.mts'),
        `         import pino from ${JSON.stringify(pathToFileURL(require.resolve('pino')).href)};
         import { createVerifierPool } from ${JSON.stringify(join(root, 'src/ingest/verify/pool.ts'))};
         const lines: string[] = [];
         const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
         const pool = createVerifierPool({ threads: 1, logger });
         await pool.ready();
         await pool.close();
         console.log(JSON.stringify({ backend: pool.backend, lines }));`,
      );
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--require', join(dir, 'no-native.cjs'), '--import', 'tsx', join(dir, 'run.mts')],
        { cwd: root, timeout: 30_000 },
      );
      const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { backend: string; lines: string[] };
      expect(out.backend).toBe('noble');
      // The operator is told: intake runs far slower on the pure-JS fallback.
      expect(out.lines.join('\n')).toMatch(/native binding not loaded.*fallback/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
