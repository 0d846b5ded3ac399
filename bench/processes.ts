/**
 * Phase 2: server time of triage_host and top_processes with 1,000 extra
 * sleeping processes. Everything runs in this process: real Services (the
 * 1 Hz sampler on /), the product factory, and the same createHttpApp the
 * product uses, with a logger that captures each request line's durationMs.
 *
 * Per tool, calls are interleaved over four ways in (each call has no
 * windowSec, so no requested window is ever included):
 *   handler      the catalogue handler alone (collect + assess), no MCP
 *   fetch        app.fetch in-process, modern era (JSON), t0 before fetch → body read  [headline]
 *   http-modern  loopback HTTP, modern era; server time = the request log's durationMs
 *   http-legacy  loopback HTTP in one 2025-11-25 session; server time = durationMs
 * Calls are spaced by a random 10–60 ms so they land at different phases of
 * the sampler's 1 s tick and 5 s process-baseline scan.
 */
import { productCatalogue } from '../src/catalogue/index.js';
import type { ToolDefinition } from '../src/definitions/types.js';
import { withBenchServer } from './server-env.js';
import { now, round, roundSummary, sleep, summarize, table } from './stats.js';
import type { Summary } from './stats.js';
import { legacyToolCall, modernToolCall, openLegacySession, post, resultOf } from './wire.js';

export const MODES = ['handler', 'fetch', 'http-modern', 'http-legacy'] as const;
export type Mode = (typeof MODES)[number];
export const TOOLS = ['triage_host', 'top_processes'] as const;
export type BenchTool = (typeof TOOLS)[number];

export interface ProcessesOptions {
  sleepers: number;
  calls: number;
  log: (line: string) => void;
}

export interface ToolTiming {
  tool: BenchTool;
  mode: Mode;
  serverMs: Summary;
  /** Loopback round trip seen by the client (HTTP modes only). */
  clientMs?: Summary;
  /** Calls whose result says the CPU window was measured on the spot (an implicit wait nobody asked for). */
  implicitMeasurements: number;
  windowSec: Summary;
}

export interface ProcessesResult {
  sleepers: { requested: number; alive: number; spawnMs: number; killed: number; exited: number; stillAlive: number; killMs: number };
  processCountSeen: number | null;
  timings: ToolTiming[];
  /** Modern era builds an McpServer per request: the product factory's cost. */
  factoryBuildMs: Summary;
  table: string;
}

interface Sample {
  serverMs: number;
  clientMs?: number;
  windowSec: number | null;
  implicit: boolean;
}

function inspect(tool: BenchTool, structured: unknown): { windowSec: number | null; implicit: boolean; processCount: number | null } {
  const s = structured as { windowSec?: number; data?: { cpuWindowSource?: string; totals?: { processCount?: number } } } | undefined;
  return {
    windowSec: typeof s?.windowSec === 'number' ? s.windowSec : null,
    implicit: tool === 'top_processes' && s?.data?.cpuWindowSource === 'measured',
    processCount: s?.data?.totals?.processCount ?? null,
  };
}

export async function runProcesses(options: ProcessesOptions): Promise<ProcessesResult> {
  const { log } = options;
  const tools = new Map<string, ToolDefinition>(productCatalogue.tools.map((t) => [t.name, t]));
  const run = await withBenchServer({ sleepers: options.sleepers, toolsets: ['core'], log }, async (env) => {
    const { services: s, factory, app: a, port, agent } = env;
    const sid = await openLegacySession(agent, port);
    let seq = 1;
    let processCountSeen: number | null = null;

    const call = async (tool: BenchTool, mode: Mode): Promise<Sample> => {
      const id = seq++;
      if (mode === 'handler') {
        const def = tools.get(tool);
        if (!def) throw new Error(`${tool} is not in the product catalogue`);
        const t0 = now();
        const out = await def.handler({}, { services: s, served: new Map(), signal: new AbortController().signal, progress: async () => undefined });
        const serverMs = now() - t0;
        const i = inspect(tool, { windowSec: out.windowSec, data: out.data });
        return { serverMs, windowSec: i.windowSec, implicit: i.implicit };
      }
      if (mode === 'fetch') {
        const { headers, body } = modernToolCall(id, tool, {});
        const request = new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { ...headers, host: `127.0.0.1:${port}` }, body });
        const t0 = now();
        const response = await a.fetch(request);
        const text = await response.text();
        const serverMs = now() - t0;
        env.lastRequestMs(tool);
        const result = resultOf({ status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? '' }, body: text }, `${tool} (fetch)`);
        const i = inspect(tool, result.structuredContent);
        if (i.processCount !== null) processCountSeen = i.processCount;
        return { serverMs, windowSec: i.windowSec, implicit: i.implicit };
      }
      const { headers, body } = mode === 'http-modern' ? modernToolCall(id, tool, {}) : legacyToolCall(sid, id, tool, {});
      const t0 = now();
      const r = await post(agent, port, headers, body);
      const clientMs = now() - t0;
      const serverMs = env.lastRequestMs(tool);
      const i = inspect(tool, resultOf(r, `${tool} (${mode})`).structuredContent);
      return { serverMs, clientMs, windowSec: i.windowSec, implicit: i.implicit };
    };

    // Warm-up: JIT, first schema compilation, first statfs of every mount.
    for (let w = 0; w < 3; w++) for (const mode of MODES) for (const tool of TOOLS) await call(tool, mode);

    const samples = new Map<string, Sample[]>();
    const started = now();
    for (let n = 0; n < options.calls; n++) {
      for (const mode of MODES) {
        for (const tool of TOOLS) {
          const sample = await call(tool, mode);
          const list = samples.get(`${tool}/${mode}`) ?? [];
          list.push(sample);
          samples.set(`${tool}/${mode}`, list);
          await sleep(10 + Math.random() * 50);
        }
      }
    }
    log(`  ${options.calls} calls × ${TOOLS.length} tools × ${MODES.length} modes in ${round((now() - started) / 1000, 1)} s`);

    const builds: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = now();
      const server = factory({ era: 'modern' });
      builds.push(now() - t0);
      await server.close();
    }
    return { samples, builds, processCountSeen: processCountSeen as number | null };
  });

  const { samples, builds, processCountSeen } = run.value;
  const timings: ToolTiming[] = [];
  for (const tool of TOOLS) {
    for (const mode of MODES) {
      const list = samples.get(`${tool}/${mode}`) ?? [];
      const client = list.map((x) => x.clientMs).filter((x): x is number => x !== undefined);
      timings.push({
        tool,
        mode,
        serverMs: roundSummary(summarize(list.map((x) => x.serverMs))),
        ...(client.length ? { clientMs: roundSummary(summarize(client)) } : {}),
        implicitMeasurements: list.filter((x) => x.implicit).length,
        windowSec: roundSummary(summarize(list.map((x) => x.windowSec ?? Number.NaN).filter(Number.isFinite)), 3),
      });
    }
  }
  const rows = timings.map((t) => [
    `${t.tool} ${t.mode}`,
    t.serverMs.p50.toFixed(2),
    t.serverMs.p90.toFixed(2),
    t.serverMs.max.toFixed(2),
    t.clientMs ? t.clientMs.p50.toFixed(2) : '-',
    String(t.implicitMeasurements),
    Number.isFinite(t.windowSec.p50) ? String(t.windowSec.p50) : '-',
  ]);
  return {
    sleepers: {
      requested: options.sleepers,
      alive: run.sleepers.alive,
      spawnMs: run.sleepers.spawnMs,
      killed: run.kill.killed,
      exited: run.kill.exited,
      stillAlive: run.kill.stillAlive,
      killMs: run.kill.ms,
    },
    processCountSeen,
    timings,
    factoryBuildMs: roundSummary(summarize(builds), 3),
    table: table(['tool / way in', 'srv p50 ms', 'srv p90 ms', 'srv max ms', 'client p50 ms', 'implicit 1 s waits', 'CPU window s'], rows),
  };
}
