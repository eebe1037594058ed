#!/usr/bin/env node
// Runs the compiled CLI (`npm run build`); in a source checkout that has not been built, runs the TypeScript
// sources through tsx (a dev dependency) so `npx push-node …` works right after `npm ci`.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
