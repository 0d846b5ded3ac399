/**
 * Targets, the final summary block, and bench/results/latest.json. The
 * targets are the product's performance budget (bench/README.md, "Targets"); PASS/MISS is informational (the bench exits 0
 * either way unless it failed to measure).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ABUSE_TARGETS } from './abuse.js';
import type { AbuseResult } from './abuse.js';
import { CONTEXT_TARGETS } from './context.js';
import type { ClusterBenchResult } from './cluster.js';
import type { ContextResult } from './context.js';
import type { LoadResult } from './load.js';
import type { MemoryResult } from './memory.js';
import type { Mode, ProcessesResult } from './processes.js';
import type { SamplerBenchResult } from './sampler.js';
import type { ToolsResult } from './tools.js';

/** The way in whose p50 is judged against the tool targets: app.fetch in-process, modern era. */
export const HEADLINE_MODE: Mode = 'fetch';

export interface Check {
  name: string;
  value: number | null;
  unit: string;
  target: string;
  pass: boolean | null;
  note: string;
}

export interface BenchReport {
  startedAt: string;
  durationSec: number;
  host: Record<string, unknown>;
  options: Record<string, unknown>;
  load?: Omit<LoadResult, 'table'>;
  processes?: Omit<ProcessesResult, 'table'>;
  memory?: MemoryResult;
  tools?: Omit<ToolsResult, 'table'>;
  sampler?: SamplerBenchResult;
  abuse?: Omit<AbuseResult, 'table'>;
  context?: Omit<ContextResult, 'table'>;
  cluster?: Omit<ClusterBenchResult, 'table'>;
  errors: Array<{ phase: string; message: string }>;
  checks: Check[];
}

function toolCheck(p: ProcessesResult | undefined, tool: 'triage_host' | 'top_processes', limitMs: number): Check {
  const t = p?.timings.find((x) => x.tool === tool && x.mode === HEADLINE_MODE);
  const others = p?.timings.filter((x) => x.tool === tool && x.mode !== HEADLINE_MODE).map((x) => `${x.mode} ${x.serverMs.p50}`) ?? [];
  return {
    name: `${tool} server time p50`,
    value: t ? t.serverMs.p50 : null,
    unit: 'ms',
    target: `≤ ${limitMs} ms`,
    pass: t ? t.serverMs.p50 <= limitMs : null,
    note: t
      ? `p90 ${t.serverMs.p90}, max ${t.serverMs.max}; other ways in p50: ${others.join(', ')}` +
        (t.implicitMeasurements ? `; ${t.implicitMeasurements} call(s) waited for an unrequested 1 s CPU window` : '')
      : 'not measured',
  };
}

export function checks(p: ProcessesResult | undefined, m: MemoryResult | undefined): Check[] {
  const idleLimitKiB = (80 * 1e6) / 1024; // 80 MB (decimal) = 78,125 KiB
  // Only the phases that ran (a --only run does not list the others as N/A).
  const list: Check[] = p ? [toolCheck(p, 'triage_host', 50), toolCheck(p, 'top_processes', 40)] : [];
  if (!m) return list;
  return [
    ...list,
    {
      name: 'idle RSS of hostlens serve',
      value: m.idleRssMB,
      unit: 'MB',
      target: '≤ 80 MB (10^6 bytes; = 78,125 KiB)',
      pass: m.idleRssKiB <= idleLimitKiB,
      note: `${m.idleRssKiB} KiB = ${(m.idleRssKiB / 1024).toFixed(1)} MiB`,
    },
    {
      name: 'RSS per idle legacy session',
      value: m.kibPerSession,
      unit: 'KiB',
      target: '≤ 40 KiB',
      pass: m.kibPerSession <= 40,
      note: `marginal (2nd half) ${m.marginalKiBPerSession} KiB; JS heap+external ${m.heapKiBPerSession} KiB/session`,
    },
  ];
}

/** One check per tool of the tools phase: server time p50 (request log, modern era, HTTP) against its target. */
export function toolsChecks(t: ToolsResult | undefined): Check[] {
  if (!t) return [];
  return t.tools.filter((r) => r.judged).map((r) => ({
    name: `${r.tool} server time p50 (all toolsets, ${t.sleepers.alive} sleepers)`,
    value: r.serverMs.p50,
    unit: 'ms',
    target: `≤ ${r.targetMs} ms`,
    pass: r.errors > 0 ? false : r.pass,
    note:
      `p90 ${r.serverMs.p90}, max ${r.serverMs.max}, ${r.serverMs.count} calls` +
      (r.implicitMeasurements ? `; ${r.implicitMeasurements} call(s) measured a window nobody asked for` : '') +
      (r.errors ? `; ${r.errors} error result(s): ${r.firstError ?? ''}` : ''),
  }));
}

/**
 * The sampler's CPU share of one core (target ≤ 0.2 %) and its history's memory.
 * The steady state of a server nobody is asking about processes is the ticks
 * without the process scan (the scan runs only while process tools are in use,
 * see processScanIdleMs in src/collectors/sampler.ts); the share with the scan
 * every 5 ticks is what an active investigation costs, reported beside it.
 */
export function samplerChecks(s: SamplerBenchResult | undefined): Check[] {
  if (!s) return [];
  return [
    {
      name: 'sampler CPU share of one core (steady state)',
      value: s.cpuSharePctWithoutScan,
      unit: '%',
      target: '≤ 0.2 %',
      pass: s.cpuSharePctWithoutScan <= 0.2,
      note: `${s.ticks} ticks in ${s.seconds} s; ${s.cpuSharePct} % while process tools are in use (scan every 5 ticks); tick p50 ${s.tickMs.p50} ms, p99 ${s.tickMs.p99} ms; history ${s.historyRecordUs} µs/tick, ${s.historyMetrics} metrics, ${s.memory.historyBytes} B now, ${s.memory.historyMaxBytes} B when full (measured ${s.memory.filledMeasuredBytes ?? 'n/a'} B)`,
    },
  ];
}

/**
 * The abuse phase against its target: /healthz p99 and the server's own event-loop delay max, each the
 * worst over the abuses (the rows that missed are named), and the symlink race's leaks.
 */
export function abuseChecks(a: AbuseResult | undefined): Check[] {
  if (!a) return [];
  const measured = a.rows.filter((r) => r.stats !== null);
  const worst = (pick: (r: (typeof measured)[number]) => number): number => Math.max(...measured.map(pick).filter(Number.isFinite));
  const named = (bad: (r: (typeof measured)[number]) => boolean, show: (r: (typeof measured)[number]) => string): string =>
    measured.filter(bad).map((r) => `${r.id} ${show(r)}`).join(', ') || 'none';
  const errored = a.rows.filter((r) => r.stats === null).map((r) => r.id);
  const p99 = worst((r) => r.stats!.p99Ms);
  const lag = worst((r) => r.stats!.serverLagMaxMs ?? Number.NaN);
  const leaks = a.rows.find((r) => r.id === 'symlink-race')?.figures.leaks;
  const suffix = errored.length ? `; not measured (the abuse failed): ${errored.join(', ')}` : '';
  return [
    {
      name: `/healthz p99 during every abuse (worst of ${measured.length})`,
      value: measured.length ? p99 : null,
      unit: 'ms',
      target: `< ${ABUSE_TARGETS.healthzP99Ms} ms`,
      pass: measured.length ? p99 < ABUSE_TARGETS.healthzP99Ms && errored.length === 0 : null,
      note: `over: ${named((r) => r.stats!.p99Ms >= ABUSE_TARGETS.healthzP99Ms, (r) => `${r.stats!.p99Ms} ms (${r.ratioP99}× idle)`)}${suffix}`,
    },
    {
      name: `server event-loop delay max during every abuse (worst of ${measured.length})`,
      value: Number.isFinite(lag) ? lag : null,
      unit: 'ms',
      target: `≤ ≈ ${ABUSE_TARGETS.serverLagMaxMs} ms`,
      pass: Number.isFinite(lag) ? lag <= ABUSE_TARGETS.serverLagMaxMs : null,
      note: `over: ${named((r) => (r.stats!.serverLagMaxMs ?? 0) > ABUSE_TARGETS.serverLagMaxMs, (r) => `${r.stats!.serverLagMaxMs} ms`)}; /proc/loadavg before ${a.loadavgBefore}, after ${a.loadavgAfter}`,
    },
    {
      name: 'symlink-swap race: answers carrying the canary or /etc/shadow',
      value: leaks ?? null,
      unit: 'leaks',
      target: '0',
      pass: leaks === undefined ? null : leaks === 0,
      note: a.rows.find((r) => r.id === 'symlink-race')?.detail ?? 'not run',
    },
  ];
}

/**
 * The context phase against its targets: core's model-visible bytes, and the output schemas' bytes per
 * tool over every toolset. The client's compile time is shown beside its same-run baseline in the note.
 */
export function contextChecks(c: ContextResult | undefined): Check[] {
  if (!c) return [];
  const core = c.footprints.find((f) => f.toolsets === 'core');
  const all = c.footprints.find((f) => f.toolsets === 'all');
  const others = c.footprints.filter((f) => f.toolsets !== 'core').map((f) => `${f.toolsets} ${f.visibleBytes} B`).join(', ');
  return [
    {
      name: `tools/list model-visible bytes, core (${core?.tools ?? 0} tools: name, title, description, inputSchema)`,
      value: core ? core.visibleBytes : null,
      unit: 'B',
      target: `≤ ${CONTEXT_TARGETS.coreVisibleBytes} B`,
      pass: core ? core.visibleBytes <= CONTEXT_TARGETS.coreVisibleBytes : null,
      note: `≈ ${core?.visibleTokens ?? '?'} tokens; other toolsets: ${others}; server instructions ${c.instructionsBytes} B`,
    },
    {
      name: `output schema bytes per tool, all toolsets (${all?.tools ?? 0} tools)`,
      value: all ? all.outputBytesPerTool : null,
      unit: 'B',
      target: `≤ ${CONTEXT_TARGETS.outputBytesPerTool} B on average`,
      pass: all ? all.outputBytesPerTool <= CONTEXT_TARGETS.outputBytesPerTool : null,
      note: `${all?.outputBytes ?? '?'} B in all; client compile p50 ${c.compile.hostlensMs.p50} ms = ${c.compile.ratio}× the same number of trivial schemas (${c.compile.baselineMs.p50} ms)`,
    },
  ];
}

export function renderSummary(report: BenchReport, load: LoadResult | undefined): string {
  const out: string[] = [];
  const rule = '='.repeat(78);
  out.push(rule, `hostlens bench summary  (${report.startedAt}, ${report.durationSec} s, ${String(report.host.cpus)} CPUs, node ${String(report.host.node)})`, rule);
  if (load) {
    out.push('Trivial tool call (echo), ratio = hostlens req/s ÷ bare node:http req/s at the same concurrency:');
    for (const r of load.ratios) {
      const cell = load.cells.find((c) => c.target === r.era && c.concurrency === r.concurrency);
      const bare = load.cells.find((c) => c.target === 'bare' && c.concurrency === r.concurrency);
      out.push(
        `  ${r.era.padEnd(6)} c=${String(r.concurrency).padStart(2)}: ${String(cell?.reqPerSec).padStart(6)} req/s (bare ${String(bare?.reqPerSec).padStart(6)}), ` +
          `p50 ${cell?.latencyMs.p50.toFixed(2)} ms, p99 ${cell?.latencyMs.p99.toFixed(2)} ms, ratio ${r.ratio.toFixed(3)}`,
      );
    }
  }
  out.push('Targets (informational):');
  for (const c of report.checks) {
    const verdict = c.pass === null ? 'N/A ' : c.pass ? 'PASS' : 'MISS';
    const value = c.value === null ? 'n/a' : `${c.value} ${c.unit}`;
    out.push(`  [${verdict}] ${c.name}: ${value}  (target ${c.target})`);
    out.push(`         ${c.note}`);
  }
  if (report.processes) {
    const s = report.processes.sleepers;
    out.push(
      `Sleepers: ${s.alive}/${s.requested} alive during the phase (${report.processes.processCountSeen ?? '?'} processes seen by top_processes); ` +
        `killed ${s.killed} by PID, ${s.exited} exits seen, ${s.stillAlive} left.`,
    );
  }
  const before = report.host.busyBeforePct as number | undefined;
  const during = report.host.othersBusyDuringPct as number | undefined;
  out.push(
    `Host noise: other processes used ${during ?? '?'}% of all CPUs during the run (${before ?? '?'}% in the second before it; load1 ${String(report.host.load1Before)} at start).` +
      ((during ?? 0) > 10 || (before ?? 0) > 20 ? ' The machine was shared: treat the figures as noisy.' : ''),
  );
  for (const e of report.errors) out.push(`ERROR in ${e.phase}: ${e.message}`);
  out.push(`Figures: bench/results/latest.json`, rule);
  return out.join('\n');
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
