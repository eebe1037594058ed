import type { ChainLog } from '../../chains/types.js';
import { chunks, insertRows } from '../../store/bulk.js';
import type { Executor } from '../../store/writer.js';

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
  ];
}

/**
 * Records the logs of blocks `fromBlock..toBlock` of one chain as verified inputs and returns those that were not
 * recorded before (replays and overlapping ranges change nothing). Existing keys are read with one range scan of
 * the (chain_id, block_number) index instead of asking the insert for what it wrote: the usual batch is all new.
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
  const existing = await exec
    .selectFrom('inputs')
    .select('key')
    .where('chain_id', '=', chainId)
    .where('block_number', '>=', fromBlock)
    .where('block_number', '<=', toBlock)
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
  // The only other writer of chain keys is admission, when an HTTP request carries an `eip155:` proof of a
  // SendNotification before the indexer reaches it (its row has no chain position, so the range scan missed it).
  // Such a log was admitted already: it is not fresh.
  const taken = new Set<string>();
  for (const keys of chunks(rows.map((r) => r[0] as string))) {
    const found = await exec
      .selectFrom('inputs')
      .select('key')
      .where('key', 'in', keys)
      .where('kind', '<>', 'chain')
      .execute();
    for (const r of found) taken.add(r.key);
  }
  return fresh.filter((log) => !taken.has(chainInputKey(log)));
}
