import { Command } from 'commander';
import { isPushError, type PushError, pushError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerDevnetCommand } from './devnet.js';
import { migrateCommand } from './migrate.js';
import { startCommand } from './start.js';
import { statusCommand } from './status.js';

/** Ends the process with one line that says what is wrong and how to fix it — never a stack trace. */
export function fail(err: unknown): never {
  const e: PushError = isPushError(err)
    ? err
    : pushError('PUSH_ERR_INTERNAL', (err as Error)?.message ?? String(err), {
        hint: 'set PUSH_NODE_DEBUG=1 for the stack trace and report it',
      });
  process.stderr.write(`push-node: ${e.toLine()}\n`);
  if (process.env.PUSH_NODE_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  process.exit(1);
}

const program = new Command()
  .name('push-node')
  .description('An independent Push Protocol (EPNS) notification node')
  .version(VERSION);

program
  .command('start')
  .description('start the node (embedded SQLite store by default; see README "Configuration")')
  .option('-c, --config <file>', 'config file (YAML or JSON); also PUSH_NODE_CONFIG')
  .action((opts: { config?: string }) => startCommand(opts).catch(fail));

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .option('-c, --config <file>', 'config file (YAML or JSON); also PUSH_NODE_CONFIG')
  .action((opts: { config?: string }) => migrateCommand(opts).catch(fail));

program
  .command('status')
  .description("print a running node's health")
  .option('-u, --url <url>', "the node base URL (default: the configured node's host and port)")
  .option('-c, --config <file>', 'config file of the node (YAML or JSON); also PUSH_NODE_CONFIG')
  .option('--json', 'print the raw JSON')
  .action((opts: { url?: string; config?: string; json?: boolean }) => statusCommand(opts).catch(fail));

registerDevnetCommand(program, fail);

program.parseAsync(process.argv).catch(fail);
