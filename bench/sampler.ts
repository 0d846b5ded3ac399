/**
 * Sampler bench: what the 1 Hz background sampler (with its metric history) costs on the live host.
 *
 *   node --import tsx bench/sampler.ts [--seconds 60] [--root /]
 *
 * Exports `runSamplerBench(opts: SamplerBenchOptions): Promise<SamplerBenchResult>` for bench/run.ts:
 *  - opts.seconds (default 60): how long the sampler ticks at opts.intervalMs (default 1000) in THIS process,
 *    with the production setting of a baseline process scan every 5 ticks; opts.root (default '/');
 *    opts.log (default console.log) receives the printed lines.
 *  - result.cpuSharePct: CPU time spent inside tick() (process.cpuUsage user+system, summed around every tick) as
 *    a share of one core over the run's wall time; result.tickMs / tickMsWithoutScan: summaries (mean, p50, p90,
 *    p99, max) of each tick's wall time, all ticks and the ticks without the process scan;
 *  - result.historyRecordUs: mean µs to turn one tick into history values and record them (tickValues + record,
 *    1,000 repetitions on the live samples), i.e. the history's share of a tick;
 *  - result.memory: the history's memoryBytes() after the run, maxMemoryBytes() (every slot in use), and the
 *    measured growth of heapUsed + arrayBuffers (after a forced GC) when a fresh history fills both rings for every
 *    slot (900 ticks, 1,440 minutes).
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { createCollectorContext } from '../src/collectors/context.js';
import { cpuBreakdown } from '../src/collectors/cpu.js';
import { createHistory, FAMILY_METRICS, STATIC_METRICS } from '../src/collectors/history.js';
import { historyMounts, tickValues } from '../src/collectors/history-record.js';
import { createSampler } from '../src/collectors/sampler.js';
import { round, roundSummary, sleep, summarize } from './stats.js';
import type { Summary } from './stats.js';

export interface SamplerBenchOptions {
  seconds?: number;
  intervalMs?: number;
  root?: string;
  log?: (line: string) => void;
}

export interface SamplerBenchResult {
  seconds: number;
  ticks: number;
  cpuSharePct: number;
  /** The same without the ticks that ran the process scan (every 5th), scaled to every tick: the sampler minus the scan. */
  cpuSharePctWithoutScan: number;
  tickMs: Summary;
  tickMsWithoutScan: Summary;
  historyRecordUs: number;
  historyMetrics: number;
  memory: { historyBytes: number; historyMaxBytes: number; filledComputedBytes: number; filledMeasuredBytes: number | null };
}

function gcFunction(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** Bytes of heapUsed + arrayBuffers a history filled in both rings for every slot adds (after GC; null without GC). */
function measureFilledHistory(): { computed: number; measured: number | null } {
  const gc = gcFunction();
  const names: Array<[string, number]> = STATIC_METRICS.map((m) => [m.name, 1]);
  for (let k = 0; k < 16; k++) {
    for (const [family, list] of Object.entries(FAMILY_METRICS)) for (const m of list) names.push([`${family}.k${k}.${m.suffix}`, k]);
  }
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc?.();
  const before = used();
  const h = createHistory();
  const t0 = Date.UTC(2026, 0, 1);
  for (let minute = 0; minute < 1440 + 1; minute++) h.record(t0 + minute * 60_000, names);
  for (let s = 0; s < 900; s++) h.record(t0 + 1441 * 60_000 + s * 1000, names);
  gc?.();
  const measured = gc ? used() - before : null;
  if (h.memoryBytes() !== h.maxMemoryBytes()) throw new Error('bench: the filled history does not use every slot');
  return { computed: h.memoryBytes(), measured };
}

export async function runSamplerBench(opts: SamplerBenchOptions = {}): Promise<SamplerBenchResult> {
  const seconds = opts.seconds ?? 60;
  const intervalMs = opts.intervalMs ?? 1000;
  const log = opts.log ?? ((line: string) => console.log(line));
  const ctx = createCollectorContext({ root: opts.root ?? '/' });
  const sampler = createSampler({ ctx, intervalMs, processScanEvery: 5 });
  const all: number[] = [];
  const noScan: number[] = [];
  let cpuUs = 0;
  let cpuUsNoScan = 0;
  const start = performance.now();
  const ticks = Math.max(2, Math.round((seconds * 1000) / intervalMs));
  for (let i = 0; i < ticks; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    sampler.tick();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    all.push(dt);
    if (i % 5 !== 0) {
      noScan.push(dt);
      cpuUsNoScan += c.user + c.system;
    }
    const next = start + (i + 1) * intervalMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  const wallUs = (performance.now() - start) * 1000;

  // The history's share of a tick: the live samples turned into values and recorded, 1,000 times.
  const prev = sampler.previous();
  const last = sampler.latest()!;
  const mounts = historyMounts(ctx);
  const h = createHistory();
  const cpu = prev?.cpu.total && last.cpu.total ? cpuBreakdown(prev.cpu.total, last.cpu.total) : null;
  const rates = sampler.latestRates();
  const reps = 1000;
  const r0 = performance.now();
  for (let i = 0; i < reps; i++) h.record(Date.now() + i * 1000, tickValues(ctx, h, { prev, last, cpu, rates, mounts }));
  const historyRecordUs = ((performance.now() - r0) * 1000) / reps;

  const filled = measureFilledHistory();
  const result: SamplerBenchResult = {
    seconds: round(wallUs / 1e6, 1),
    ticks,
    cpuSharePct: round((cpuUs / wallUs) * 100, 3),
    cpuSharePctWithoutScan: round(((cpuUsNoScan / Math.max(1, noScan.length)) * ticks * 100) / wallUs, 3),
    tickMs: roundSummary(summarize(all), 3),
    tickMsWithoutScan: roundSummary(summarize(noScan), 3),
    historyRecordUs: round(historyRecordUs, 1),
    historyMetrics: sampler.history.metricNames().length,
    memory: {
      historyBytes: sampler.history.memoryBytes(),
      historyMaxBytes: sampler.history.maxMemoryBytes(),
      filledComputedBytes: filled.computed,
      filledMeasuredBytes: filled.measured,
    },
  };
  log(`sampler: ${result.ticks} ticks over ${result.seconds} s at ${intervalMs} ms, process scan every 5 ticks`);
  log(`  CPU inside tick(): ${result.cpuSharePct} % of one core (${result.cpuSharePctWithoutScan} % without the process scan)`);
  log(`  tick ms: mean ${result.tickMs.mean}, p50 ${result.tickMs.p50}, p99 ${result.tickMs.p99}, max ${result.tickMs.max} (without the scan: mean ${result.tickMsWithoutScan.mean}, p99 ${result.tickMsWithoutScan.p99})`);
  log(`  history: ${result.historyMetrics} metrics recorded, ${result.historyRecordUs} µs per tick (values + record)`);
  log(`  history memory: ${result.memory.historyBytes} bytes now, ${result.memory.historyMaxBytes} bytes at most (every slot)`);
  log(`  filled history (every slot, both rings): computed ${result.memory.filledComputedBytes} bytes, measured heap + arrayBuffers delta ${result.memory.filledMeasuredBytes ?? 'n/a (no GC)'} bytes`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const seconds = Number(arg('--seconds') ?? 60);
  if (!(seconds >= 2 && seconds <= 3600)) {
    console.error('--seconds must be between 2 and 3600');
    process.exit(2);
  }
  const root = arg('--root');
  const result = await runSamplerBench({ seconds, ...(root ? { root } : {}) });
  console.log(JSON.stringify(result));
}
