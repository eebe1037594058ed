import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('the node metrics registry', () => {
  it('names the default process metrics push_node_process_* and push_node_nodejs_* (one prefix, not two)', async () => {
    const { registry } = createMetrics();
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('push_node_process_cpu_seconds_total');
    expect(names).toContain('push_node_process_resident_memory_bytes');
    expect(names).toContain('push_node_process_start_time_seconds');
    expect(names).toContain('push_node_nodejs_eventloop_lag_seconds');
    expect(names).toContain('push_node_nodejs_heap_size_used_bytes');
    // Before the fix: push_node_process_process_cpu_seconds_total, push_node_process_nodejs_heap_size_used_bytes, …
    expect(names.filter((n) => n.includes('process_process') || n.includes('process_nodejs'))).toEqual([]);
    expect(names.filter((n) => !n.startsWith('push_node_'))).toEqual([]);
    const text = await registry.metrics();
    expect(text).toMatch(/^push_node_process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^push_node_up /m);
  });
});
