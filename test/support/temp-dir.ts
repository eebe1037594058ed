import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp directories a test file makes (`make()`, each a fresh `<tmpdir>/<prefix>XXXXXX`) and removes all at once
 * (`removeAll()`). Vitest hooks cannot be registered from inside `beforeAll`, so each file registers its own
 * `afterAll`/`afterEach` that first closes whatever uses the directories (gateway, server, CLI process) and then
 * calls `removeAll()`.
 */
export interface TestTempDirs {
  make(): string;
  removeAll(): void;
}

export function testTempDirs(prefix: string): TestTempDirs {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    removeAll() {
      // maxRetries: a just-killed child may still be releasing files in the directory.
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
