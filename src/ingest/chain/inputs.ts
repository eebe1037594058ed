import type { ChainLog } from '../../chains/types.js';
import { chunks, insertRows } from '../../store/bulk.js';
import type { Executor } from '../../store/writer.js';
import { loggedChannel } from './alias-inputs.js';

/** The idempotency key of a chain event: a log is the same input wherever and however often it is seen. */
export function chainInputKey(log: Pick<ChainLog, 'chainId' | 'blockHash' | 'logIndex'>): string {
  return `chain:${log.chainId}:${log.blockHash}:${log.logIndex}`;
}

/**
 * Decoded args are flat (ChainLog.args): uints are bigints, everything else is a string. Converting them here is
 * several times cheaper than a JSON.stringify replacer, which is called for every key of every log.
 */
function jsonArgs(args: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const k in args) {
    const v = args[k];
    if (typeof v !== 'bigint') continue;
    out ??= { ...args };
    out[k] = v.toString();
  }
  return out ?? args;
}

const INPUT_COLUMNS = [
  'key',
  'kind',
  'event',
  'chain_id',
  'block_number',
  'block_hash',
  'log_index',
  'tx_hash',
  'body',
  'ts',
  'created_at',
  'channel',
] as const;

function inputTuple(key: string, log: ChainLog, now: number): unknown[] {
  const body = JSON.stringify({
    contract: log.contract,
    address: log.address,
    topic0: log.topic0,
    txIndex: log.txIndex,
    args: jsonArgs(log.args),
  });
  return [
    key,
    'chain',
    log.event,
    log.chainId,
    log.blockNumber,
    log.blockHash,
    log.logIndex,
    log.txHash,
    body,
    log.timestamp * 1000,
    now,
    loggedChannel(log.event, log.args),
  ];
}

/**
 * Records the logs of blocks `fromBlock..toBlock` of one chain as verified inputs and returns those that were not
 * recorded before (replays and overlapping ranges change nothing), whatever block an existing key was recorded at.
 *
 * Cheap on the hot path (a backfill batch is all new): existing chain keys are read with one range scan of the
 * (chain_id, block_number) index over the logs' own blocks, and `on conflict do nothing` reports how many rows it
 * wrote. A key is the log's block hash and index, so a chain row with that key has the log's block number and the
 * scan finds it (admission's row for an `eip155:` proof carries the log's position too). Only when the insert wrote
 * fewer rows than it was given (a key the scan could not see: a row recorded under another block number, e.g. by a
 * provider that misreported it) are the written keys looked up: a conflicting row is one that is not this log's chain
 * row (another kind, or another block number), and that log is not fresh.
 */
export async function recordChainInputs(
  exec: Executor,
  chainId: number,
  fromBlock: number,
  toBlock: number,
  logs: readonly ChainLog[],
  now: number,
): Promise<ChainLog[]> {
  if (logs.length === 0) return [];
  let low = fromBlock;
  let high = toBlock;
  for (const log of logs) {
    if (log.blockNumber < low) low = log.blockNumber;
    else if (log.blockNumber > high) high = log.blockNumber;
  }
  const existing = await exec
    .selectFrom('inputs')
    .select('key')
    .where('chain_id', '=', chainId)
    .where('block_number', '>=', low)
    .where('block_number', '<=', high)
    .execute();
  const seen = new Set(existing.map((r) => r.key));
  const fresh: ChainLog[] = [];
  const rows: unknown[][] = [];
  for (const log of logs) {
    const key = chainInputKey(log);
    if (seen.has(key)) continue;
    seen.add(key);
    fresh.push(log);
    rows.push(inputTuple(key, log, now));
  }
  const written = await insertRows(exec, 'inputs', INPUT_COLUMNS, rows, 'on conflict ("key") do nothing');
  if (written === rows.length) return fresh;
  const taken = new Set<string>();
  for (const part of chunks(fresh)) {
    const blockOf = new Map(part.map((log) => [chainInputKey(log), log.blockNumber]));
    const found = await exec
      .selectFrom('inputs')
      .select(['key', 'kind', 'chain_id', 'block_number'])
      .where('key', 'in', [...blockOf.keys()])
      .execute();
    for (const r of found) {
      const mine = r.kind === 'chain' && r.chain_id === chainId && r.block_number === blockOf.get(r.key);
      if (!mine) taken.add(r.key);
    }
  }
  return fresh.filter((log) => !taken.has(chainInputKey(log)));
}
