import type { Insertable } from 'kysely';
import type { ChainLog } from '../../chains/types.js';
import type { InputsTable } from '../../store/schema.js';

/** The idempotency key of a chain event: a log is the same input wherever and however often it is seen. */
export function chainInputKey(log: Pick<ChainLog, 'chainId' | 'blockHash' | 'logIndex'>): string {
  return `chain:${log.chainId}:${log.blockHash}:${log.logIndex}`;
}

const jsonSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

export function chainInputRow(log: ChainLog, now: number): Insertable<InputsTable> {
  return {
    key: chainInputKey(log),
    kind: 'chain',
    event: log.event,
    chain_id: log.chainId,
    block_number: log.blockNumber,
    block_hash: log.blockHash,
    log_index: log.logIndex,
    tx_hash: log.txHash,
    body: JSON.stringify(
      {
        contract: log.contract,
        address: log.address,
        topic0: log.topic0,
        txIndex: log.txIndex,
        args: log.args,
      },
      jsonSafe,
    ),
    ts: log.timestamp * 1000,
    created_at: now,
  };
}
