/**
 * Phase `tools`: server time of EVERY tool in the catalogue, all toolsets enabled, with ~1,000 extra
 * sleeping processes. Real Services (the 1 Hz sampler on /), the product factory and the product's
 * createHttpApp run in this process; each call is a loopback HTTP POST in the modern era and its
 * server time is the request log's durationMs (as in the processes phase). No call passes windowSec,
 * so no requested window is ever included; a result that still says it measured a fresh window
 * (`source` / `cpuWindowSource` "measured") is counted as an implicit wait. Tools that need arguments
 * get their definition's first example. Calls are interleaved over the tools and spaced 10–60 ms apart.
 * Targets: p50 ≤ 50 ms for every tool, ≤ 80 ms for get_limits (it reads every process's fd directory).
 */
import { productCatalogue } from '../src/catalogue/index.js';
import { TOOLSETS } from '../src/contracts/scopes.js';
import { exampleArgs } from '../test/support/tool-examples.js';
import { withBenchServer } from './server-env.js';
import { now, round, roundSummary, sleep, summarize, table } from './stats.js';
import type { Summary } from './stats.js';
import { modernToolCall, post, resultOf } from './wire.js';

export const TOOL_TARGET_MS = 50;
export const TOOL_TARGETS_MS: Readonly<Record<string, number>> = { get_limits: 80 };
export const targetOf = (tool: string): number => TOOL_TARGETS_MS[tool] ?? TOOL_TARGET_MS;
/** Tools that measure a window by design even without windowSec (get_cgroup: CPU usage over 1 s by default): timed, not judged. */
export const WINDOWED_BY_DEFAULT: ReadonlySet<string> = new Set(['get_cgroup']);

export interface ToolsOptions {
  sleepers: number;
  calls: number;
  log: (line: string) => void;
}

export interface ToolServerTime {
  tool: string;
  toolset: string;
  args: Record<string, unknown>;
  serverMs: Summary;
  targetMs: number;
  pass: boolean;
  /** Calls answered with isError (the time still counts; the message is kept). */
  errors: number;
  firstError?: string;
  /** False for tools that measure a window by design (WINDOWED_BY_DEFAULT): their time is the window. */
  judged: boolean;
  /** Calls whose result says it measured a fresh window nobody asked for. */
  implicitMeasurements: number;
}

export interface ToolsResult {
  sleepers: { requested: number; alive: number; killed: number; stillAlive: number };
  tools: ToolServerTime[];
  table: string;
}

function measuredImplicitly(structured: unknown): boolean {
  const d = (structured as { data?: { source?: unknown; cpuWindowSource?: unknown } } | undefined)?.data;
  return d?.source === 'measured' || d?.cpuWindowSource === 'measured';
}

export async function runTools(options: ToolsOptions): Promise<ToolsResult> {
  const { log } = options;
  const tools = productCatalogue.tools.map((t) => ({ name: t.name, toolset: t.toolset, args: exampleArgs(t, { serverPid: process.pid }) }));
  type Sample = { serverMs: number; error: string | null; implicit: boolean };
  const run = await withBenchServer({ sleepers: options.sleepers, toolsets: TOOLSETS, log }, async (env, alive) => {
    log(`  ${tools.length} tools (all toolsets), ${alive} sleepers alive, ${options.calls} calls each`);
    let seq = 1;
    const call = async (tool: (typeof tools)[number]): Promise<Sample> => {
      const { headers, body } = modernToolCall(seq++, tool.name, tool.args);
      env.lines.length = 0;
      const r = await post(env.agent, env.port, headers, body, 30_000);
      const serverMs = env.lastRequestMs(tool.name);
      const result = resultOf(r, tool.name) as { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: unknown };
      const error = result.isError ? (result.content?.[0]?.text ?? 'isError').slice(0, 160) : null;
      return { serverMs, error, implicit: measuredImplicitly(result.structuredContent) };
    };
    // Warm-up in catalogue order (capture_snapshot before diff_snapshots), twice.
    for (let w = 0; w < 2; w++) for (const t of tools) await call(t);
    const samples = new Map<string, Sample[]>();
    const started = now();
    for (let n = 0; n < options.calls; n++) {
      for (const t of tools) {
        samples.set(t.name, [...(samples.get(t.name) ?? []), await call(t)]);
        await sleep(10 + Math.random() * 50);
      }
    }
    log(`  ${options.calls} calls × ${tools.length} tools in ${round((now() - started) / 1000, 1)} s`);
    return samples;
  });

  const results: ToolServerTime[] = tools.map((t) => {
    const list = run.value.get(t.name) ?? [];
    const serverMs = roundSummary(summarize(list.map((x) => x.serverMs)));
    const errors = list.filter((x) => x.error !== null);
    const targetMs = targetOf(t.name);
    return {
      tool: t.name,
      toolset: t.toolset,
      args: t.args,
      serverMs,
      targetMs,
      pass: serverMs.p50 <= targetMs,
      judged: !WINDOWED_BY_DEFAULT.has(t.name),
      errors: errors.length,
      ...(errors[0]?.error ? { firstError: errors[0].error } : {}),
      implicitMeasurements: list.filter((x) => x.implicit).length,
    };
  });
  const rows = results.map((r) => [
    `${r.tool} (${r.toolset})`,
    r.serverMs.p50.toFixed(2),
    r.serverMs.p90.toFixed(2),
    r.serverMs.max.toFixed(2),
    `≤ ${r.targetMs}`,
    !r.judged ? 'windowed' : r.pass ? 'PASS' : 'MISS',
    String(r.implicitMeasurements),
    r.errors ? `${r.errors}: ${r.firstError ?? ''}`.slice(0, 60) : '0',
  ]);
  return {
    sleepers: { requested: options.sleepers, alive: run.sleepers.alive, killed: run.kill.killed, stillAlive: run.kill.stillAlive },
    tools: results,
    table: table(['tool', 'srv p50 ms', 'srv p90 ms', 'srv max ms', 'target', 'verdict', 'implicit waits', 'errors'], rows),
  };
}
