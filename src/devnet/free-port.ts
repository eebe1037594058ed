import { createServer } from 'node:net';
import { pushError } from '../errors.js';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. Hardhat cannot listen on port 0, so we ask the OS for a port and
 * release it; another process may grab it in between, which callers handle by retrying.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    const fail = (cause?: unknown) =>
      reject(pushError('PUSH_ERR_DEVNET_START', `No free TCP port on ${host}`, { cause, details: { host } }));
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : fail()));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}
