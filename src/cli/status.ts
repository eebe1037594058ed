import type { HealthReport } from '../api/routes/system.js';
import { loadConfig } from '../config/load.js';
import { pushError } from '../errors.js';

interface ChainLine {
  chainId?: number;
  phase?: string;
  head?: number | null;
  synced?: number | null;
  healthy?: boolean;
}

/** Renders a health report for a terminal. */
export function formatHealth(url: string, h: HealthReport): string {
  const lines = [
    `push-node ${h.version} at ${url}: ${h.status}`,
    `  uptime   ${h.uptimeSeconds}s`,
    `  store    ${h.store.backend} (${h.store.location})`,
  ];
  const chains = h.chains as ChainLine[];
  if (chains.length === 0) lines.push('  chains   none indexed');
  for (const c of chains) {
    lines.push(
      `  chain ${c.chainId}  ${c.phase ?? '?'}  synced ${c.synced ?? '-'} / head ${c.head ?? '-'}  ${c.healthy ? 'healthy' : 'UNHEALTHY'}`,
    );
  }
  for (const d of h.disabledChains as { chainId: number; reason: string }[]) {
    lines.push(`  chain ${d.chainId}  off (${d.reason})`);
  }
  return lines.join('\n');
}

/**
 * Where `push-node status` looks: --url, else the address the configured node listens on (the same config `start`
 * reads: --config / PUSH_NODE_CONFIG, PUSH_NODE_HOST, PUSH_NODE_PORT), reached locally (a wildcard host via 127.0.0.1).
 */
export function statusUrl(opts: { url?: string | undefined; config?: string | undefined }): {
  url: string;
  from: string;
} {
  if (opts.url) return { url: opts.url.replace(/\/+$/, ''), from: '--url' };
  const config = loadConfig({ file: opts.config });
  if (config.port === 0) {
    throw pushError('PUSH_ERR_NODE_UNREACHABLE', 'the configured port is 0 (the node picks one at start)', {
      field: 'port',
      hint: 'pass the URL the node logged ("push node listening") with --url',
    });
  }
  const host =
    config.host === '0.0.0.0' || config.host === '::'
      ? '127.0.0.1'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
  return { url: `http://${host}:${config.port}`, from: "the node's config" };
}

/** `push-node status`: reads `/apis/v1/health` of a running node. */
export async function statusCommand(opts: { url?: string; config?: string; json?: boolean }): Promise<void> {
  const { url: base, from } = statusUrl(opts);
  let res: Response;
  try {
    res = await fetch(`${base}/apis/v1/health`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw pushError('PUSH_ERR_NODE_UNREACHABLE', `no node answers at ${base} (from ${from})`, {
      hint: "start one with `npm run devnet` or `push-node start`, or pass --url (or the node's --config)",
      cause: err,
    });
  }
  if (!res.ok)
    throw pushError('PUSH_ERR_NODE_UNREACHABLE', `${base}/apis/v1/health answered HTTP ${res.status}`);
  const health = (await res.json()) as HealthReport;
  process.stdout.write(
    opts.json ? `${JSON.stringify(health, null, 2)}\n` : `${formatHealth(base, health)}\n`,
  );
  // Scripts use it as a check: 0 ok, 2 degraded (1 is a node that does not answer).
  if (health.status !== 'ok') process.exitCode = 2;
}
