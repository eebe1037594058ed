import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The node's Prometheus registry. Metric names are stable (`push_node_*`): dashboards and alerts depend on them,
 * so rename never, add freely. Subsystems register their own metrics on this registry.
 */
export function createMetrics() {
  const registry = new Registry();
  // prom-client's default metrics already start with `process_` / `nodejs_`: `push_node_process_cpu_seconds_total`.
  collectDefaultMetrics({ register: registry, prefix: 'push_node_' });
  const httpRequests = new Counter({
    name: 'push_node_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'push_node_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const up = new Gauge({
    name: 'push_node_up',
    help: '1 while the node is serving',
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration, up };
}

export type Metrics = ReturnType<typeof createMetrics>;
