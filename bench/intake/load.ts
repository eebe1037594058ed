/**
 * The intake bench's load generator, in its own process so that autocannon does not share the server's event loop
 * (both ceilings and the intake run are driven the same way). Started by `run.ts` with an IPC channel: it receives
 * one `LoadCommand`, runs autocannon, answers one `LoadReply` and exits.
 */
// @ts-expect-error autocannon ships no types (and @types/autocannon is not installed)
import autocannon from 'autocannon';

export interface LoadCommand {
  url: string;
  connections: number;
  seconds: number;
  /** A signed SDK body; each request gets `verificationProof: <proofBase>::uid::<tag><n>` (as the SDK does). */
  body: Record<string, unknown>;
  proofBase: string;
  /** Keeps the uids of successive runs apart. */
  tag: string;
}

export interface LoadReply {
  rps: number;
  /** Requests answered with 2xx. */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  seconds: number;
  /** CPU of this load-generator process per answered request, µs: its share of the machine's cores. */
  cpuPerRequestUs: number;
}

process.once('message', async (cmd: LoadCommand) => {
  let n = 0;
  // The body serialised once around a marker: each request only splices in its proof (plain ASCII, nothing to
  // escape), so the generator spends its CPU — on the server's two cores — on sending, not on JSON.
  const marker = '\u0000proof\u0000';
  const [head, tail] = JSON.stringify({ ...cmd.body, verificationProof: marker }).split(
    JSON.stringify(marker),
  );
  const nextBody = () => `${head}"${cmd.proofBase}::uid::${cmd.tag}${n++}"${tail}`;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const r = await autocannon({
    url: cmd.url,
    connections: cmd.connections,
    duration: cmd.seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: nextBody() }),
      },
    ],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const reply: LoadReply = {
    rps: r.requests.average,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    seconds,
    cpuPerRequestUs: (cpu.user + cpu.system) / Math.max(1, r['2xx'] + r.non2xx),
  };
  process.send?.(reply, () => process.exit(0));
});
