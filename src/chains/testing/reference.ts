import { createPublicClient, decodeEventLog, http } from 'viem';
import { ALL_EVENTS, indexedTopics, toJsonAbi } from '../abi.js';
import type { ChainLog, Hex } from '../types.js';

/**
 * Ground truth for tests: a from-scratch index of a chain built a different way from the indexer — viem's getLogs in
 * one call and viem's ABI decoder (not ours) — shaped like the ChainLogs the indexer hands its sink.
 */
export async function referenceIndex(args: {
  rpcUrl: string;
  chainId: number;
  core?: Hex;
  comm: Hex;
  fromBlock: number;
  toBlock: number;
}): Promise<ChainLog[]> {
  const client = createPublicClient({ transport: http(args.rpcUrl) });
  const abi = toJsonAbi();
  const addresses = [args.core, args.comm].filter((a): a is Hex => !!a).map((a) => a.toLowerCase() as Hex);
  const raw = await client.request({
    method: 'eth_getLogs',
    params: [
      {
        fromBlock: `0x${args.fromBlock.toString(16)}`,
        toBlock: `0x${args.toBlock.toString(16)}`,
        address: addresses,
        topics: [indexedTopics()],
      },
    ],
  });
  const timestamps = new Map<bigint, number>();
  const out: ChainLog[] = [];
  for (const log of raw) {
    const blockNumber = BigInt(log.blockNumber!);
    if (!timestamps.has(blockNumber)) {
      const b = await client.getBlock({ blockNumber });
      timestamps.set(blockNumber, Number(b.timestamp));
    }
    const topic0 = log.topics[0]!.toLowerCase() as Hex;
    const def = ALL_EVENTS.find((e) => e.topic0 === topic0)!;
    // Pick the one ABI entry of this topic0, so the two UpdateChannel overloads cannot be confused.
    const entry = abi[ALL_EVENTS.indexOf(def)]!;
    const decoded = decodeEventLog({ abi: [entry], data: log.data, topics: log.topics as [Hex, ...Hex[]] });
    const args_: Record<string, unknown> = {};
    for (const p of def.params) {
      const v = (decoded.args as Record<string, unknown>)[p.name];
      if (p.type === 'address') args_[p.name] = String(v).toLowerCase();
      else if (p.type === 'uint256' || p.type === 'uint8') args_[p.name] = BigInt(v as bigint | number);
      else if (p.type === 'bytes' && p.text)
        args_[p.name] = Buffer.from(String(v).slice(2), 'hex').toString('utf8');
      else if (p.type === 'bytes') args_[p.name] = String(v).toLowerCase();
      else args_[p.name] = v;
    }
    const address = log.address.toLowerCase() as Hex;
    out.push({
      chainId: args.chainId,
      blockNumber: Number(blockNumber),
      blockHash: log.blockHash!.toLowerCase() as Hex,
      logIndex: Number(log.logIndex),
      txHash: log.transactionHash!.toLowerCase() as Hex,
      txIndex: Number(log.transactionIndex),
      address,
      contract: address === args.core?.toLowerCase() ? 'core' : 'comm',
      event: def.name,
      args: args_,
      timestamp: timestamps.get(blockNumber)!,
      topic0,
    });
  }
  return out;
}
