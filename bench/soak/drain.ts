/**
 * The soak's last phase: SIGTERM while a batch of slow windowed calls is in flight (half in legacy
 * sessions, half 2026-07-28). hostlens must stop accepting, let those calls finish (drain, bounded
 * by shutdownGraceSec = 10 s by default) and exit 0. Reported: how many calls were in flight at the
 * signal, how many completed with a result, how long after the signal they finished, the exit
 * code and how long the exit took.
 */
import type { Client } from '@modelcontextprotocol/client';
import { connectClient, upTo } from './client.js';
import type { SoakServer } from './server.js';

export interface DrainResult {
  calls: number;
  /** Calls that had not finished when SIGTERM was sent. */
  inFlightAtSigterm: number;
  /** Calls that returned a (non-error) tool result. */
  completed: number;
  errors: string[];
  /** ms after SIGTERM at which each call finished (negative: before it). */
  finishedAfterSigtermMs: number[];
  exit: { code: number | null; signal: string | null; forced: boolean; ms: number };
  graceSec: number;
  /** The server's `stopped` log line field: calls still running when the grace ran out. */
  inflightCallsAbandoned: unknown;
  pass: boolean;
}

const TOOLS = ['get_cpu', 'get_disk_io', 'get_network', 'get_pressure'] as const;

export async function drainPhase(server: SoakServer, tokens: string[], options: { calls: number; windowSec: number; graceSec: number }): Promise<DrainResult> {
  const clients: Client[] = [];
  const errors: string[] = [];
  try {
    for (let i = 0; i < options.calls; i += 1) {
      const era = i % 2 === 0 ? 'legacy' : 'modern';
      clients.push((await connectClient(server.url, tokens[i % tokens.length] ?? '', era, `soak-drain-${i}`)).client);
    }
  } catch (error) {
    errors.push(`connect: ${(error as Error).message}`);
  }
  let sigtermAt = Number.POSITIVE_INFINITY;
  const finished: number[] = [];
  let completed = 0;
  const calls = clients.map(async (client, i) => {
    try {
      const r = await client.callTool({ name: TOOLS[i % TOOLS.length] ?? 'get_cpu', arguments: { windowSec: options.windowSec } }, { timeout: 60_000 });
      if (r.isError) errors.push(`call ${i}: tool error ${JSON.stringify(r.content).slice(0, 200)}`);
      else completed += 1;
    } catch (error) {
      errors.push(`call ${i}: ${(error as Error).message}`);
    } finally {
      finished.push(performance.now() - sigtermAt);
    }
  });
  // Let every call reach the server and start its window.
  await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, (options.windowSec * 1000) / 3)));
  const inFlightAtSigterm = clients.length - finished.length;
  sigtermAt = performance.now();
  const stopping = server.child.stop((options.graceSec + 10) * 1000);
  const exit = await stopping;
  const exitMs = Math.round(performance.now() - sigtermAt);
  await upTo(5_000, Promise.all(calls));
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  const inflightCallsAbandoned = server.stoppedLine()?.inflightCallsAbandoned;
  const pass =
    clients.length === options.calls &&
    inFlightAtSigterm === options.calls &&
    completed === options.calls &&
    exit.code === 0 &&
    !exit.forced &&
    exitMs <= options.graceSec * 1000 + 5_000;
  return {
    calls: clients.length,
    inFlightAtSigterm,
    completed,
    errors,
    finishedAfterSigtermMs: finished.map((ms) => Math.round(ms)),
    exit: { code: exit.code, signal: exit.signal, forced: exit.forced, ms: exitMs },
    graceSec: options.graceSec,
    inflightCallsAbandoned,
    pass,
  };
}
