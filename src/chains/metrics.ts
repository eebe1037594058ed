import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every chain metric, labelled by chain_id. Names are stable: dashboards and alerts use them. */
export interface ChainMetrics {
  backfillBlocks: Counter<'chain_id'>;
  events: Counter<'chain_id' | 'contract' | 'event'>;
  undecodableLogs: Counter<'chain_id'>;
  headBlock: Gauge<'chain_id'>;
  syncedBlock: Gauge<'chain_id'>;
  finalizedBlock: Gauge<'chain_id'>;
  reorgs: Counter<'chain_id'>;
  reorgDepth: Histogram<'chain_id'>;
  healthy: Gauge<'chain_id'>;
  errors: Counter<'chain_id' | 'code'>;
  /** `endpoint` is the RPC URL's origin (scheme://host[:port], never its path or query): one per configured URL. */
  rpcRequests: Counter<'chain_id' | 'method' | 'outcome' | 'endpoint'>;
  rpcDuration: Histogram<'chain_id' | 'method'>;
  rpcFailovers: Counter<'chain_id'>;
  getLogsRange: Gauge<'chain_id'>;
}

// Several indexers (one per chain) share one registry: register each metric once per registry.
const byRegistry = new WeakMap<Registry, ChainMetrics>();

export function chainMetrics(registry: Registry): ChainMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: ChainMetrics = {
    backfillBlocks: new Counter({
      name: 'push_node_chain_backfill_blocks_total',
      help: 'Blocks covered by the historical backfill',
      labelNames: ['chain_id'],
      registers,
    }),
    events: new Counter({
      name: 'push_node_chain_events_total',
      help: 'Core/Comm events handed to the store',
      labelNames: ['chain_id', 'contract', 'event'],
      registers,
    }),
    undecodableLogs: new Counter({
      name: 'push_node_chain_undecodable_logs_total',
      help: 'Logs from a watched contract that did not fit any known event layout (skipped)',
      labelNames: ['chain_id'],
      registers,
    }),
    headBlock: new Gauge({
      name: 'push_node_chain_head_block',
      help: 'Latest head block seen',
      labelNames: ['chain_id'],
      registers,
    }),
    syncedBlock: new Gauge({
      name: 'push_node_chain_synced_block',
      help: 'Last block applied to the store',
      labelNames: ['chain_id'],
      registers,
    }),
    finalizedBlock: new Gauge({
      name: 'push_node_chain_finalized_block',
      help: 'Head minus the finality depth',
      labelNames: ['chain_id'],
      registers,
    }),
    reorgs: new Counter({
      name: 'push_node_chain_reorgs_total',
      help: 'Chain reorganisations handled (rolled back and re-applied)',
      labelNames: ['chain_id'],
      registers,
    }),
    reorgDepth: new Histogram({
      name: 'push_node_chain_reorg_depth_blocks',
      help: 'Blocks rolled back per reorg',
      labelNames: ['chain_id'],
      buckets: [1, 2, 3, 5, 8, 13, 21, 34, 64, 128],
      registers,
    }),
    healthy: new Gauge({
      name: 'push_node_chain_healthy',
      help: '1 when the chain head advances and the indexer runs, else 0',
      labelNames: ['chain_id'],
      registers,
    }),
    errors: new Counter({
      name: 'push_node_chain_errors_total',
      help: 'Errors of the indexer loop by code (PUSH_ERR_REORG_TOO_DEEP stops the chain)',
      labelNames: ['chain_id', 'code'],
      registers,
    }),
    rpcRequests: new Counter({
      name: 'push_node_rpc_requests_total',
      help: 'JSON-RPC attempts by method, outcome and endpoint (the RPC URL origin)',
      labelNames: ['chain_id', 'method', 'outcome', 'endpoint'],
      registers,
    }),
    rpcDuration: new Histogram({
      name: 'push_node_rpc_request_duration_seconds',
      help: 'JSON-RPC attempt latency',
      labelNames: ['chain_id', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    rpcFailovers: new Counter({
      name: 'push_node_rpc_failovers_total',
      help: 'Requests moved to another RPC endpoint after a failure',
      labelNames: ['chain_id'],
      registers,
    }),
    getLogsRange: new Gauge({
      name: 'push_node_chain_get_logs_range_blocks',
      help: 'Current adaptive eth_getLogs block range',
      labelNames: ['chain_id'],
      registers,
    }),
  };
  byRegistry.set(registry, m);
  return m;
}
