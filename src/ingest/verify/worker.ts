/**
 * Entry of a verifier pool worker thread (see `pool.ts`): recovers batches of signatures and sends them back.
 * Loaded as `worker.js` from `dist/`, or as `worker.ts` through tsx when the pool itself runs from TypeScript.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pushError } from '../../errors.js';
import { type BatchReply, type BatchRequest, recoverBatchInPlace } from './batch.js';
import { assertBackend, type Secp256k1Backend } from './recover.js';

const port = parentPort;
if (!port)
  throw pushError(
    'PUSH_ERR_INTERNAL',
    'verify/worker is a worker thread entry; start it through createVerifierPool',
  );

const backend = (workerData as { backend: Secp256k1Backend }).backend;
// Fails the worker's start-up (the pool sees an 'error' before 'ready') when the backend cannot load here.
assertBackend(backend);

port.on('message', (msg: BatchRequest) => {
  let reply: BatchReply;
  try {
    recoverBatchInPlace(backend, new Uint8Array(msg.buf), msg.count);
    reply = { id: msg.id, buf: msg.buf, count: msg.count };
  } catch (err) {
    reply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
  }
  if ('buf' in reply) port.postMessage(reply, [reply.buf]);
  else port.postMessage(reply);
});

port.postMessage({ ready: true });
