/**
 * Phase 1: trivial tool call throughput and latency. The servers run in a
 * child process (bench/targets/load-target.ts) so the load generator here does
 * not share their event loop. For each concurrency (1, 16, 64), three cells
 * run back to back with a fixed request count after a warm-up:
 *   bare    node:http JSON-RPC handler (the floor)
 *   legacy  hostlens app, 2025-11-25: one initialized session per worker, then tools/call
 *   modern  hostlens app, 2026-07-28: stateless POSTs with the _meta envelope and headers
 * Each request is timed from write to last body byte; a cell's req/s is its
 * request count over its wall time. Server CPU per request comes from the
 * child's /proc/<pid>/stat (10 ms tick resolution).
 */
import type { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startChild } from './child.js';
import { now, processCpuMs, round, roundSummary, summarize, table } from './stats.js';
import type { Summary } from './stats.js';
import { closeLegacySession, keepAliveAgent, legacyToolCall, modernToolCall, openLegacySession, post, resultOf } from './wire.js';
import type { HttpResult } from './wire.js';

export type Target = 'bare' | 'legacy' | 'modern';

export interface LoadOptions {
  concurrencies: number[];
  requests: number;
  warmup: number;
  repoRoot: string;
  log: (line: string) => void;
}

export interface CellResult {
  target: Target;
  concurrency: number;
  requests: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  reqPerSec: number;
  latencyMs: Summary;
  serverCpuUsPerReq: number | null;
}

export interface LoadResult {
  cells: CellResult[];
  /** hostlens req/s ÷ bare req/s per era and concurrency. */
  ratios: Array<{ era: 'legacy' | 'modern'; concurrency: number; ratio: number }>;
  table: string;
}

interface Worker {
  call(seq: number): Promise<void>;
  close(): Promise<void>;
}

const ECHO_ARGS = { text: 'hello hostlens' };

function expectEcho(r: HttpResult, seq: number, what: string): void {
  // Every reply is checked for status and a result; every 100th is parsed in full.
  if (r.status !== 200 || !r.body.includes('"result"') || r.body.includes('"isError":true')) {
    throw new Error(`${what}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  }
  if (seq % 100 === 0) {
    const result = resultOf(r, what);
    const echoed = (result.structuredContent as { echo?: unknown } | undefined)?.echo;
    if (echoed !== ECHO_ARGS.text) throw new Error(`${what}: unexpected result ${JSON.stringify(result).slice(0, 200)}`);
  }
}

function workerFactory(target: Target, agent: Agent, ports: { bare: number; app: number }): (index: number) => Promise<Worker> {
  if (target === 'bare') {
    return async () => ({
      async call(seq) {
        const body = JSON.stringify({ jsonrpc: '2.0', id: seq, method: 'tools/call', params: { name: 'echo', arguments: ECHO_ARGS } });
        const r = await post(agent, ports.bare, { 'content-type': 'application/json', accept: 'application/json' }, body);
        expectEcho(r, seq, 'bare');
      },
      close: async () => undefined,
    });
  }
  if (target === 'modern') {
    return async () => ({
      async call(seq) {
        const { headers, body } = modernToolCall(seq, 'echo', ECHO_ARGS);
        expectEcho(await post(agent, ports.app, headers, body), seq, 'modern tools/call');
      },
      close: async () => undefined,
    });
  }
  return async () => {
    const sid = await openLegacySession(agent, ports.app);
    return {
      async call(seq) {
        const { headers, body } = legacyToolCall(sid, seq, 'echo', ECHO_ARGS);
        expectEcho(await post(agent, ports.app, headers, body), seq, 'legacy tools/call');
      },
      close: () => closeLegacySession(agent, ports.app, sid),
    };
  };
}

/** Runs `total` calls spread over the workers, as fast as each worker can go. */
async function drive(workers: Worker[], total: number, seqBase: number, latencies: number[] | null): Promise<{ errors: number; firstError?: string }> {
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    workers.map(async (w) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = now();
        try {
          await w.call(seqBase + i);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          if (errors > Math.max(20, total / 20)) throw new Error(`too many errors (${errors}); first: ${firstError}`);
        }
        if (latencies) latencies[i] = now() - t0;
      }
    }),
  );
  return { errors, ...(firstError !== undefined ? { firstError } : {}) };
}

async function runCell(target: Target, concurrency: number, options: LoadOptions, ports: { bare: number; app: number }, childPid: number): Promise<CellResult> {
  const agent = keepAliveAgent(concurrency);
  const make = workerFactory(target, agent, ports);
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < concurrency; i++) workers.push(await make(i));
    await drive(workers, options.warmup, 1_000_000, null);
    const latencies = new Array<number>(options.requests).fill(0);
    const cpu0 = await processCpuMs(childPid);
    const t0 = now();
    const { errors, firstError } = await drive(workers, options.requests, 1, latencies);
    const elapsedMs = now() - t0;
    const cpu1 = await processCpuMs(childPid);
    return {
      target,
      concurrency,
      requests: options.requests,
      errors,
      ...(firstError !== undefined ? { firstError } : {}),
      elapsedMs: round(elapsedMs, 1),
      reqPerSec: round((options.requests / elapsedMs) * 1000, 0),
      latencyMs: roundSummary(summarize(latencies), 3),
      serverCpuUsPerReq: cpu0 !== null && cpu1 !== null ? round(((cpu1 - cpu0) * 1000) / options.requests, 0) : null,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    agent.destroy();
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./targets/load-target.ts', import.meta.url));
  const target = await startChild({
    args: ['--import', 'tsx', script],
    cwd: options.repoRoot,
    stream: 'stdout',
    timeoutMs: 30_000,
    ready: (line) => (typeof line.barePort === 'number' && typeof line.appPort === 'number' ? { bare: line.barePort, app: line.appPort } : null),
  });
  const cells: CellResult[] = [];
  try {
    for (const c of options.concurrencies) {
      for (const t of ['bare', 'legacy', 'modern'] as const) {
        const cell = await runCell(t, c, options, target.ready, target.pid);
        cells.push(cell);
        options.log(
          `  ${t.padEnd(6)} c=${String(c).padStart(2)}: ${cell.reqPerSec} req/s, p50 ${cell.latencyMs.p50} ms, p99 ${cell.latencyMs.p99} ms` +
            (cell.errors ? `, ${cell.errors} errors (${cell.firstError})` : ''),
        );
      }
    }
  } finally {
    await target.stop(5_000);
  }
  const ratios: LoadResult['ratios'] = [];
  for (const c of options.concurrencies) {
    const bare = cells.find((x) => x.target === 'bare' && x.concurrency === c);
    for (const era of ['legacy', 'modern'] as const) {
      const cell = cells.find((x) => x.target === era && x.concurrency === c);
      if (bare && cell) ratios.push({ era, concurrency: c, ratio: round(cell.reqPerSec / bare.reqPerSec, 3) });
    }
  }
  const rows = cells.map((cell) => {
    const ratio = cell.target === 'bare' ? '1' : String(ratios.find((r) => r.era === cell.target && r.concurrency === cell.concurrency)?.ratio ?? 'n/a');
    return [
      cell.target === 'bare' ? 'bare node:http' : `hostlens ${cell.target}`,
      String(cell.concurrency),
      String(cell.reqPerSec),
      cell.latencyMs.p50.toFixed(2),
      cell.latencyMs.p99.toFixed(2),
      cell.serverCpuUsPerReq === null ? 'n/a' : String(cell.serverCpuUsPerReq),
      ratio,
      String(cell.errors),
    ];
  });
  return {
    cells,
    ratios,
    table: table(['target', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'srv cpu µs/req', 'ratio vs bare', 'errors'], rows),
  };
}
