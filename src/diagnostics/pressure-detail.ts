/** get_pressure: system-wide PSI with stall shares over a window, and the cgroups that stall most. */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { rankCgroupStalls, walkCgroupStalls } from '../collectors/cgroup-pressure.js';
import type { Pressure, PsiLine, PsiResource } from '../collectors/pressure.js';
import { readPressure, stallPctInWindow } from '../collectors/pressure.js';
import { roundTo } from '../collectors/read.js';
import type { PressureInWindow } from '../collectors/sampler.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';

const psiLineSchema = z.object({
  avg10Pct: z.number(),
  avg60Pct: z.number(),
  avg300Pct: z.number(),
  /** share of the window (windowSec) with stalled tasks, from the cumulative total; null without a window */
  stallPctInWindow: z.number().nullable(),
});
/** full: all non-idle tasks stalled at once; null for system-wide cpu on kernels < 5.13 */
const psiResourceSchema = z.object({ some: psiLineSchema, full: psiLineSchema.nullable() }).nullable();

const cgroupStallSchema = z.object({
  /** cgroup v2 path, e.g. /system.slice/postgresql.service; a parent includes its children */
  path: z.string(),
  memoryFullPct: z.number().nullable(),
  ioFullPct: z.number().nullable(),
  cpuSomePct: z.number().nullable(),
  memorySomePct: z.number().nullable(),
  ioSomePct: z.number().nullable(),
});

export const pressureDetailSchema = z.object({
  /** false when the kernel has no PSI (CONFIG_PSI off or psi=0) */
  available: z.boolean(),
  system: z.object({ cpu: psiResourceSchema, memory: psiResourceSchema, io: psiResourceSchema }),
  /** cgroups with any stall, worst first by max(memory full, io full, cpu some) avg10 % */
  cgroups: z.array(cgroupStallSchema),
  cgroupsExamined: z.number().int().nonnegative(),
});
export type PressureDetail = z.infer<typeof pressureDetailSchema>;

type Window = PressureInWindow | null;

function line(l: PsiLine, inWindow: number | null | undefined): z.infer<typeof psiLineSchema> {
  return { avg10Pct: l.avg10Pct, avg60Pct: l.avg60Pct, avg300Pct: l.avg300Pct, stallPctInWindow: inWindow ?? null };
}

function resource(r: PsiResource | null, some: number | null | undefined, full: number | null | undefined): z.infer<typeof psiResourceSchema> {
  if (!r) return null;
  return { some: line(r.some, some), full: r.full ? line(r.full, full) : null };
}

/** Stall shares between two system-wide readings taken `sec` apart. */
export function pressureWindow(a: Pressure, b: Pressure, sec: number): PressureInWindow {
  const s = (x: PsiLine | undefined, y: PsiLine | undefined): number | null => (x && y ? stallPctInWindow(x.totalUsec, y.totalUsec, sec) : null);
  return {
    cpuSomePct: s(a.cpu?.some, b.cpu?.some),
    memorySomePct: s(a.memory?.some, b.memory?.some),
    memoryFullPct: s(a.memory?.full, b.memory?.full),
    ioSomePct: s(a.io?.some, b.io?.some),
    ioFullPct: s(a.io?.full, b.io?.full),
  };
}

interface PressureDetailResult {
  data: PressureDetail;
  assessments: Assessment[];
  truncated?: { returned: number; total: number };
  warnings: string[];
}

/**
 * Builds the answer from a current system reading and an optional window (from the sampler or a
 * fresh two-sample measurement). Assessments use avg10 (the thresholds' definition).
 */
export function buildPressureDetail(services: HostInputs, p: Pressure, win: Window, topCgroups: number): PressureDetailResult {
  const warnings = [...p.warnings];
  const walk = walkCgroupStalls(services.collectors);
  warnings.push(...walk.warnings);
  const ranked = rankCgroupStalls(walk.cgroups);
  const top = ranked.slice(0, topCgroups).map((c) => ({
    path: c.path,
    memoryFullPct: c.memoryFullAvg10Pct,
    ioFullPct: c.ioFullAvg10Pct,
    cpuSomePct: c.cpuSomeAvg10Pct,
    memorySomePct: c.memorySomeAvg10Pct,
    ioSomePct: c.ioSomeAvg10Pct,
  }));
  const data: PressureDetail = {
    available: p.available,
    system: {
      cpu: resource(p.cpu, win?.cpuSomePct, null),
      memory: resource(p.memory, win?.memorySomePct, win?.memoryFullPct),
      io: resource(p.io, win?.ioSomePct, win?.ioFullPct),
    },
    cgroups: top,
    cgroupsExamined: walk.visited,
  };
  const truncated = ranked.length > top.length ? { returned: top.length, total: ranked.length } : undefined;
  if (!p.available) {
    warnings.push('PSI is not available (proc/pressure missing: kernel without CONFIG_PSI, or booted with psi=0)');
    return { data, assessments: [unknownAssessment('pressure', 'pressure.unavailable', 'PSI is not available on this kernel (proc/pressure missing)', '%')], ...(truncated ? { truncated } : {}), warnings };
  }
  const t = services.thresholds;
  const assessments = [
    assess({ area: 'pressure', code: 'pressure.cpu', label: 'CPU pressure (some, avg10)', value: p.cpu?.some.avg10Pct ?? null, spec: t['pressure.cpuSomeAvg10Pct'] }),
    assess({ area: 'pressure', code: 'pressure.memory', label: 'Memory pressure (full, avg10)', value: p.memory?.full?.avg10Pct ?? null, spec: t['pressure.memoryFullAvg10Pct'] }),
    assess({ area: 'pressure', code: 'pressure.io', label: 'I/O pressure (full, avg10)', value: p.io?.full?.avg10Pct ?? null, spec: t['pressure.ioFullAvg10Pct'] }),
  ];
  const worst = top[0];
  if (worst) {
    const m = worst.memoryFullPct ?? 0;
    const i = worst.ioFullPct ?? 0;
    const c = worst.cpuSomePct ?? 0;
    const spec = m >= i && m >= c ? t['pressure.memoryFullAvg10Pct'] : i >= c ? t['pressure.ioFullAvg10Pct'] : t['pressure.cpuSomeAvg10Pct'];
    const what = m >= i && m >= c ? 'memory full' : i >= c ? 'I/O full' : 'CPU some';
    assessments.push(assess({ area: 'pressure', code: 'pressure.cgroup', label: `Most stalled cgroup ${worst.path} (${what}, avg10)`, value: roundTo(Math.max(m, i, c), 2), spec }));
  }
  return { data, assessments, ...(truncated ? { truncated } : {}), warnings };
}

export function readPressureDetail(services: HostInputs, topCgroups: number): PressureDetailResult & { windowSec?: number } {
  const rates = services.sampler.latestRates();
  const r = buildPressureDetail(services, readPressure(services.collectors), rates?.pressure ?? null, topCgroups);
  return rates ? { ...r, windowSec: rates.windowSec } : r;
}
