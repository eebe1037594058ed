import { loadConfig } from '../config/load.js';
import { createNode } from '../node.js';

/** `push-node start`: runs until SIGINT/SIGTERM, then shuts down gracefully. */
export async function startCommand(opts: { config?: string }): Promise<void> {
  const config = loadConfig({ file: opts.config });
  const node = await createNode(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, 'shutting down');
    node.stop().then(
      () => process.exit(0),
      (err) => {
        node.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Before start: it listens first, then waits for each chain's first answer (an RPC that is down takes its retries),
  // and a Ctrl-C meanwhile must still shut down gracefully.
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await node.start();
  } catch (err) {
    // A start cut short by a shutdown is not a failure to report.
    if (stopping) return;
    throw err;
  }
}
