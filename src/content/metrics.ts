import { Counter, type Registry } from 'prom-client';

/**
 * A counter on `registry`, reusing the one already registered under `name`: several clients (one per chain, or a
 * test that builds two) may share a registry, and prom-client refuses a second registration of a name.
 */
export function sharedCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
