import type { Command } from 'commander';

/** `push-node devnet`: wired once the devnet module lands. */
export function registerDevnetCommand(_program: Command, _fail: (err: unknown) => never): void {}
