/**
 * CPU over a stated window: from the background sampler's last two ticks
 * (instant), or from a fresh two-sample measurement when windowSec is given.
 * Shared by get_cpu and triage_host.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { effectiveLimits } from '../collectors/cgroup.js';
import { readCpuInfo, readLoadAvg, readLogicalCpuCount } from '../collectors/cpu.js';
import type { CoreBreakdown, CpuBreakdown, CpuStat } from '../collectors/cpu.js';
import { assess } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';

const perCoreSchema = z.object({
  cpu: z.number().int(),
  busyPct: z.number(),
  userPct: z.number(),
  systemPct: z.number(),
  iowaitPct: z.number(),
  stealPct: z.number(),
  idlePct: z.number(),
});

export const cpuDataSchema = z.object({
  /** sampler = the 1 Hz background sampler's last window; measured = a fresh window of windowSec */
  source: z.enum(['sampler', 'measured']),
  /** 100 − idle − iowait, over the window */
  busyPct: z.number().nullable(),
  userPct: z.number().nullable(),
  nicePct: z.number().nullable(),
  systemPct: z.number().nullable(),
  iowaitPct: z.number().nullable(),
  irqPct: z.number().nullable(),
  softirqPct: z.number().nullable(),
  stealPct: z.number().nullable(),
  idlePct: z.number().nullable(),
  load1: z.number().nullable(),
  load5: z.number().nullable(),
  load15: z.number().nullable(),
  /** load1 divided by usable CPUs */
  loadPerCpu1: z.number().nullable(),
  /** runnable tasks now (procs_running) */
  runQueueCount: z.number().nullable(),
  /** tasks in uninterruptible sleep now (procs_blocked) */
  blockedCount: z.number().nullable(),
  ctxSwitchesPerSec: z.number().nullable(),
  interruptsPerSec: z.number().nullable(),
  logicalCpus: z.number().nullable(),
  /** usable CPUs after cgroup quota and affinity */
  effectiveCpus: z.number().nullable(),
  /** cgroup CPU limit in cores; null when unlimited */
  cgroupCpuQuotaCores: z.number().nullable(),
  /** share of CFS periods throttled in the sampler window */
  cgroupThrottledPct: z.number().nullable(),
  model: z.string().nullable(),
  freqMhz: z.number().nullable(),
  perCore: z.array(perCoreSchema).optional(),
});
export type CpuData = z.infer<typeof cpuDataSchema>;

interface CpuOptions {
  windowSec?: number;
  perCore?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
}

interface CpuResult {
  data: CpuData;
  windowSec: number;
  assessments: Assessment[];
  warnings: string[];
}

interface Window {
  /** null when proc/stat did not advance over the window (e.g. a recorded, static root). */
  breakdown: CpuBreakdown | null;
  perCore: CoreBreakdown[];
  windowSec: number;
  source: 'sampler' | 'measured';
  start: CpuStat;
  end: CpuStat;
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

async function measureWindow(services: HostInputs, windowSec: number, options: CpuOptions): Promise<Window> {
  const m = await services.sampler.measure(windowSec, {
    processes: false,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (f) => void options.progress?.(f, `measuring CPU over ${windowSec} s`),
  });
  return { breakdown: m.breakdown, perCore: m.perCore, windowSec: round(m.elapsedSec, 3), source: 'measured', start: m.start.cpu, end: m.end.cpu };
}

async function cpuWindow(services: HostInputs, options: CpuOptions): Promise<Window> {
  if (options.windowSec !== undefined) return measureWindow(services, options.windowSec, options);
  const prev = services.sampler.previous();
  const last = services.sampler.latest();
  if (prev && last && last.atMs > prev.atMs) {
    // Two ticks: their window stands even when proc/stat did not advance or is unreadable (breakdown
    // null, reported as unknown) — measuring again would only wait 0.5 s to learn the same.
    const latest = services.sampler.latestCpu();
    const windowSec = latest ? latest.windowSec : (last.atMs - prev.atMs) / 1000;
    return { breakdown: latest?.breakdown ?? null, perCore: latest?.perCore ?? [], windowSec: round(windowSec, 3), source: 'sampler', start: prev.cpu, end: last.cpu };
  }
  // The sampler has not completed two ticks yet (just started): measure briefly.
  return measureWindow(services, 0.5, options);
}

function perSec(a: number | null, b: number | null, sec: number): number | null {
  return a === null || b === null || b < a || !(sec > 0) ? null : round((b - a) / sec);
}

export async function readCpu(services: HostInputs, options: CpuOptions = {}): Promise<CpuResult> {
  const ctx = services.collectors;
  const w = await cpuWindow(services, options);
  const load = readLoadAvg(ctx);
  const info = readCpuInfo(ctx);
  const logical = readLogicalCpuCount(ctx, w.end);
  const limits = effectiveLimits(ctx);
  const effective = limits.cpuCores !== null && logical !== null ? Math.min(limits.cpuCores, logical) : (limits.cpuCores ?? logical);
  const loadPerCpu1 = load.load1 !== null && effective ? round(load.load1 / effective, 2) : null;
  const rates = w.source === 'sampler' ? services.sampler.latestRates() : null;
  const b = w.breakdown;
  const warnings: string[] = [];
  if (!b) warnings.push('proc/stat did not advance over the window: CPU utilisation is unknown');
  const data: CpuData = {
    source: w.source,
    busyPct: b?.busyPct ?? null,
    userPct: b?.userPct ?? null,
    nicePct: b?.nicePct ?? null,
    systemPct: b?.systemPct ?? null,
    iowaitPct: b?.iowaitPct ?? null,
    irqPct: b?.irqPct ?? null,
    softirqPct: b?.softirqPct ?? null,
    stealPct: b?.stealPct ?? null,
    idlePct: b?.idlePct ?? null,
    load1: load.load1,
    load5: load.load5,
    load15: load.load15,
    loadPerCpu1,
    runQueueCount: w.end.procsRunning,
    blockedCount: w.end.procsBlocked,
    ctxSwitchesPerSec: perSec(w.start.ctxSwitches, w.end.ctxSwitches, w.windowSec),
    interruptsPerSec: perSec(w.start.interrupts, w.end.interrupts, w.windowSec),
    logicalCpus: logical,
    effectiveCpus: effective === null ? null : round(effective, 2),
    cgroupCpuQuotaCores: limits.cpuCores,
    cgroupThrottledPct: rates?.cgroupThrottledPeriodsPct ?? null,
    model: info.model,
    freqMhz: info.freqMhz,
  };
  if (options.perCore) {
    data.perCore = w.perCore.map((c) => ({
      cpu: c.cpu,
      busyPct: c.busyPct,
      userPct: c.userPct,
      systemPct: c.systemPct,
      iowaitPct: c.iowaitPct,
      stealPct: c.stealPct,
      idlePct: c.idlePct,
    }));
  }
  const t = services.thresholds;
  const assessments = [
    assess({ area: 'cpu', code: 'cpu.busy', label: 'CPU busy', value: b?.busyPct, spec: t['cpu.busyPct'] }),
    assess({ area: 'cpu', code: 'cpu.iowait', label: 'CPU iowait', value: b?.iowaitPct, spec: t['cpu.iowaitPct'] }),
    assess({ area: 'cpu', code: 'cpu.steal', label: 'CPU steal', value: b?.stealPct, spec: t['cpu.stealPct'] }),
    assess({
      area: 'load',
      code: 'load.per_cpu',
      label: 'Load per CPU (1 min)',
      value: loadPerCpu1,
      spec: t['load.perCpu'],
      ...(load.load1 !== null && effective ? { evidence: [`load1 ${load.load1} over ${round(effective, 2)} usable CPUs`] } : {}),
    }),
  ];
  return { data, windowSec: w.windowSec, assessments, warnings: [...warnings, ...load.warnings, ...info.warnings] };
}
