import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pushError } from './errors.js';

const PACKAGE_NAME = 'push-node';

let cachedRoot: string | undefined;

/**
 * The package root, found by walking up from this file to the package.json named push-node. This works from both
 * `src/` (tsx and vitest run the TS directly) and `dist/` (the built CLI), whatever the cwd: files that are not
 * compiled (contract sources, the dashboard's static files) are found from here.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw pushError('PUSH_ERR_INTERNAL', 'Cannot find the push-node package root', {
        hint: 'run from an installed or checked-out push-node package',
        details: { from: fileURLToPath(import.meta.url) },
      });
    }
    dir = parent;
  }
}
