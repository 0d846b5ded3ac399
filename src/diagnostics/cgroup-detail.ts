/**
 * get_cgroup: one cgroup's limits, usage, throttling, I/O and PSI, with CPU usage and throttling measured over a
 * stated window (two readings of the cgroup's cpu counters windowSec apart).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { z } from 'zod';
import { HostlensError } from '../contracts/errors.js';
import type { HostInputs } from './host-inputs.js';
import type { CgroupCpuStat, CgroupInfo } from '../collectors/cgroup.js';
import { readCgroupCpuStat, throttlingInWindow, v1Mount } from '../collectors/cgroup.js';
import type { CgroupTarget } from '../collectors/cgroup-target.js';
import { readCgroupTarget } from '../collectors/cgroup-target.js';
import { readLogicalCpuCount } from '../collectors/cpu.js';
import type { PsiLine, PsiResource } from '../collectors/pressure.js';
import { pct, roundTo } from '../collectors/read.js';
import { assess } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { show } from '../util/missing.js';

const n = z.number().nullable();
const int = z.number().int().nullable();
const psiLine = z.object({ avg10Pct: z.number(), avg60Pct: z.number(), avg300Pct: z.number(), totalUsec: z.number().int() });
const psi = z.object({ some: psiLine, full: psiLine.nullable() }).nullable();

export const cgroupDataSchema = z.object({
  /** cgroup path inside the hierarchy, e.g. /system.slice/nginx.service */
  path: z.string().nullable(),
  /** cgroup version the values come from (hybrid hosts: 1) */
  version: z.union([z.literal(1), z.literal(2)]),
  /** how the host mounts cgroups */
  mode: z.enum(['v2', 'v1', 'hybrid', 'none']),
  /** v1: the cgroup path read in each controller hierarchy (a process can sit in different cgroups per controller; a controller missing here was not available); null on v2 */
  controllerPaths: z
    .record(z.string(), z.string())
    .nullable(),
  memory: z.object({
    currentBytes: int,
    /** memory limit; null = unlimited (v2 "max", v1 9223372036854771712) */
    maxBytes: int,
    /** currentBytes as a share of maxBytes; null without a limit */
    usedPct: n,
    /** v2 memory.high throttling point; null = none (or v1) */
    highBytes: int,
    /** high-water mark (v2 memory.peak, v1 max_usage_in_bytes) */
    peakBytes: int,
    swapCurrentBytes: int,
    /** cumulative since the cgroup was created; v1 has no oom/high counters; max: times the limit was hit (v2 memory.events max, v1 memory.failcnt) */
    events: z.object({ oom: int, oomKill: int, high: int, max: int }).nullable(),
  }),
  cpu: z.object({
    /** CPU quota in cores (quota / period); null = unlimited */
    quotaCores: n,
    periodUs: int,
    /** CPU used over the window, in cores */
    usageCores: n,
    /** usageCores as a share of quotaCores when there is a quota, else of all online CPUs (see usagePctOf) */
    usagePct: n,
    usagePctOf: z.enum(['quota', 'cpus']).nullable(),
    /** share of scheduling periods in the window in which the quota throttled the cgroup (0 when it ran no period) */
    throttledPeriodsPct: n,
    /** time throttled during the window, s */
    throttledSec: n,
    /** cumulative scheduling periods */
    nrPeriods: int,
    /** cumulative throttled periods */
    nrThrottled: int,
    /** cumulative time throttled, s */
    throttledTotalSec: n,
  }),
  /** max: null = unlimited */
  pids: z.object({ current: int, max: int, usedPct: n }),
  /** bytes read/written since the cgroup was created (v2 io.stat, v1 blkio io_service_bytes) */
  io: z.object({ readBytes: int, writeBytes: int }),
  /** PSI of the cgroup (some/full avg10/60/300 %, cumulative totalUsec); null when absent (v1 without a unified hierarchy) */
  pressure: z
    .object({ cpu: psi, memory: psi, io: psi }),
});
type CgroupData = z.infer<typeof cgroupDataSchema>;

interface CgroupDetailResult {
  data: CgroupData;
  assessments: Assessment[];
  windowSec: number;
  warnings: string[];
}

interface MeasureCgroupOptions {
  windowSec: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
  /** Waits between the two readings (tests replace it); aborts with the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic clock in ms (tests replace it together with sleep). */
  now?: () => number;
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await sleepFor(ms, undefined, signal ? { signal } : {});
};

function rereadCpu(services: HostInputs, info: CgroupInfo, warnings: string[]): CgroupCpuStat | null {
  const ctx = services.collectors;
  if (info.version === 2) return info.dir === null ? null : readCgroupCpuStat(ctx, info.dir, 2, info.dir, warnings);
  const cpu = info.dirs.cpu ?? info.dirs.cpuacct;
  return cpu === undefined ? null : readCgroupCpuStat(ctx, cpu, 1, info.dirs.cpuacct ?? cpu, warnings);
}

function controllerPaths(services: HostInputs, info: CgroupInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [c, dir] of Object.entries(info.dirs)) {
    const mount = v1Mount(services.collectors, c);
    if (mount !== null && (dir === mount || dir.startsWith(`${mount}/`))) out[c] = dir.slice(mount.length) || '/';
  }
  return out;
}

function psiOut(r: PsiResource | null): z.infer<typeof psi> {
  const l = (x: PsiLine): z.infer<typeof psiLine> => ({ avg10Pct: x.avg10Pct, avg60Pct: x.avg60Pct, avg300Pct: x.avg300Pct, totalUsec: x.totalUsec });
  return r ? { some: l(r.some), full: r.full ? l(r.full) : null } : null;
}

/** Reads the target, waits windowSec, re-reads its cpu counters; throws not_found for an unknown target. */
export async function measureCgroup(services: HostInputs, target: CgroupTarget, opts: MeasureCgroupOptions): Promise<CgroupDetailResult> {
  const r = readCgroupTarget(services.collectors, target);
  if ('error' in r) throw new HostlensError('not_found', r.error);
  const info = r.info;
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  await opts.progress?.(0, 'measuring cgroup cpu usage');
  await (opts.sleep ?? defaultSleep)(opts.windowSec * 1000, opts.signal);
  const end = rereadCpu(services, info, info.warnings);
  const sec = (now() - t0) / 1000;
  await opts.progress?.(1);
  return buildCgroupDetail(services, info, end, sec);
}

/** The result from a first full reading, the cpu counters `sec` seconds later (null if unreadable) and the window. */
export function buildCgroupDetail(services: HostInputs, info: CgroupInfo, end: CgroupCpuStat | null, sec: number): CgroupDetailResult {
  const { cpu, memory: m, pids } = info;
  const du = end && cpu.usageUsec !== null && end.usageUsec !== null && sec > 0 ? end.usageUsec - cpu.usageUsec : null;
  const usageCores = du !== null && du >= 0 ? roundTo(du / 1e6 / sec, 3) : null;
  const cpus = readLogicalCpuCount(services.collectors);
  const of: 'quota' | 'cpus' | null = cpu.quotaCores !== null ? 'quota' : cpus !== null ? 'cpus' : null;
  const base = of === 'quota' ? cpu.quotaCores : cpus;
  const thr = end ? throttlingInWindow(cpu, end) : { throttledPeriodsPct: null, throttledSec: null };
  const idle = end && cpu.nrPeriods !== null && end.nrPeriods === cpu.nrPeriods;
  const throttledPeriodsPct = thr.throttledPeriodsPct ?? (idle ? 0 : null);
  const ev = m.events;
  const data: CgroupData = {
    path: info.path,
    version: info.version ?? 2,
    mode: info.mode,
    controllerPaths: info.version === 1 ? controllerPaths(services, info) : null,
    memory: {
      currentBytes: m.currentBytes,
      maxBytes: m.maxBytes,
      usedPct: m.maxBytes !== null && m.currentBytes !== null ? pct(m.currentBytes, m.maxBytes) : null,
      highBytes: m.highBytes,
      peakBytes: m.peakBytes,
      swapCurrentBytes: m.swapCurrentBytes,
      events: ev ? { oom: ev.oom, oomKill: ev.oomKill, high: ev.high, max: ev.max } : null,
    },
    cpu: {
      quotaCores: cpu.quotaCores,
      periodUs: cpu.periodUsec,
      usageCores,
      usagePct: usageCores !== null && base !== null ? pct(usageCores, base) : null, // clamped 0–100 (timing jitter, cfs burst)
      usagePctOf: of,
      throttledPeriodsPct,
      throttledSec: thr.throttledSec,
      nrPeriods: end?.nrPeriods ?? cpu.nrPeriods,
      nrThrottled: end?.nrThrottled ?? cpu.nrThrottled,
      throttledTotalSec: (end?.throttledUsec ?? cpu.throttledUsec) === null ? null : roundTo((end?.throttledUsec ?? cpu.throttledUsec)! / 1e6, 3),
    },
    pids: { current: pids.current, max: pids.max, usedPct: pids.max !== null && pids.current !== null && pids.max > 0 ? pct(pids.current, pids.max) : null },
    io: info.io,
    pressure: { cpu: psiOut(info.pressure.cpu), memory: psiOut(info.pressure.memory), io: psiOut(info.pressure.io) },
  };
  return { data, assessments: cgroupAssessments(services, data), windowSec: roundTo(sec, 3), warnings: info.warnings };
}

function cgroupAssessments(services: HostInputs, d: CgroupData): Assessment[] {
  const t = services.thresholds;
  const where = d.path ?? 'cgroup';
  const out: Assessment[] = [];
  if (d.memory.maxBytes !== null) {
    out.push(
      assess({ area: 'cgroup', code: 'cgroup.memory_used', label: `Memory of ${where} (of its limit)`, value: d.memory.usedPct, spec: t['cgroup.memoryUsedPct'], evidence: [`${show(d.memory.currentBytes)} of ${d.memory.maxBytes} bytes`] }),
    );
  }
  if (d.cpu.quotaCores !== null) {
    out.push(
      assess({ area: 'cgroup', code: 'cgroup.cpu_throttled', label: `CPU throttling of ${where} (periods throttled in the window)`, value: d.cpu.throttledPeriodsPct, spec: t['cgroup.throttledPct'], evidence: [`quota ${d.cpu.quotaCores} cores, ${show(d.cpu.nrThrottled)} of ${show(d.cpu.nrPeriods)} periods throttled since creation`] }),
    );
  }
  if (d.pids.max !== null) {
    out.push(assess({ area: 'cgroup', code: 'cgroup.pids', label: `Pids of ${where} (of pids.max)`, value: d.pids.usedPct, spec: t['limits.usedPct'], evidence: [`${show(d.pids.current)} of ${d.pids.max}`] }));
  }
  const kills = d.memory.events?.oomKill;
  if (kills !== null && kills !== undefined) {
    out.push(assess({ area: 'cgroup', code: 'cgroup.oom_kills', label: `OOM kills in ${where} since it was created`, value: kills, spec: t['cgroup.oomKills'] }));
  }
  return out;
}
