/**
 * One node process of the scale-out test: shared Postgres schema, Redis adapter for sockets. Prints
 * `LISTENING <port>` when ready; exits on SIGTERM. Args: <databaseUrl> <schema> <redisUrl>.
 */
import type { AddressInfo } from 'node:net';
import { createAdmission } from '../../../src/ingest/admission/index.js';
import { createBus } from '../../../src/ingest/bus.js';
import { openStore } from '../../../src/store/index.js';
import { ALIAS_CHAIN_ID, ALIAS_COMM, CORE_CHAIN_ID, CORE_COMM } from '../../admission/support.js';
import { logger, testPushApp } from '../fixtures.js';

const [databaseUrl, schema, redisUrl] = process.argv.slice(2) as [string, string, string];
const store = await openStore({ databaseUrl, schema, poolSize: 4 });
const bus = createBus({ logger });
const admission = createAdmission({
  store,
  coreChainId: CORE_CHAIN_ID,
  chains: [
    { chainId: CORE_CHAIN_ID, comm: CORE_COMM, rpcUrls: [] },
    { chainId: ALIAS_CHAIN_ID, comm: ALIAS_COMM, rpcUrls: [] },
  ],
  bus,
  logger,
  limits: { perIp: null, perChannel: null },
});
const { app, realtime } = testPushApp({ store, bus, admission, redisUrl });
await realtime.ready();
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${(app.server.address() as AddressInfo).port}\n`);

process.on('SIGTERM', async () => {
  await realtime.close();
  await app.close();
  await store.close();
  process.exit(0);
});
