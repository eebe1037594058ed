import type { HealthReport } from '../api/routes/system.js';
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

/** `push-node status`: reads `/apis/v1/health` of a running node. */
export async function statusCommand(opts: { url: string; json?: boolean }): Promise<void> {
  const base = opts.url.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/apis/v1/health`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw pushError('PUSH_ERR_NODE_UNREACHABLE', `no node answers at ${base}`, {
      hint: 'start one with `npm run devnet` or `push-node start`, or pass --url',
      cause: err,
    });
  }
  if (!res.ok)
    throw pushError('PUSH_ERR_NODE_UNREACHABLE', `${base}/apis/v1/health answered HTTP ${res.status}`);
  const health = (await res.json()) as HealthReport;
  process.stdout.write(
    opts.json ? `${JSON.stringify(health, null, 2)}\n` : `${formatHealth(base, health)}\n`,
  );
}
