/**
 * CPU: proc/stat counters, the two-sample utilisation breakdown, proc/loadavg, CPU count, model and frequency.
 *
 * Every percentage is computed over a stated window between two samples — never since boot.
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { parseDecimal, parseNonNegInt, readLine, readText, round1 } from './read.js';

/** Cumulative CPU time in USER_HZ ticks, as in proc/stat. guest/guestNice are already included in user/nice. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

interface CoreTimes extends CpuTimes {
  /** The CPU number from the `cpuN` line (offline CPUs have no line, so this is not the array index). */
  cpu: number;
}

export interface CpuStat {
  total: CpuTimes | null;
  perCore: CoreTimes[];
  ctxSwitches: number | null;
  interrupts: number | null;
  /** Forks since boot ("processes" line). */
  forksCount: number | null;
  /** Runnable threads right now (procs_running). */
  procsRunning: number | null;
  /** Threads in uninterruptible sleep right now (procs_blocked). */
  procsBlocked: number | null;
  /** Boot time, Unix epoch seconds (btime). */
  bootTimeSec: number | null;
  warnings: string[];
}

export interface CpuBreakdown {
  userPct: number;
  nicePct: number;
  systemPct: number;
  idlePct: number;
  iowaitPct: number;
  irqPct: number;
  softirqPct: number;
  stealPct: number;
  /** Share of the window spent running guest vCPUs; already inside userPct + nicePct (not additive). */
  guestPct: number;
  /** 100 − idle − iowait. */
  busyPct: number;
}

export interface CoreBreakdown extends CpuBreakdown {
  cpu: number;
}

export interface LoadAvg {
  load1: number | null;
  load5: number | null;
  load15: number | null;
  /** Currently runnable scheduling entities (threads), the numerator of "2/80". */
  runnableCount: number | null;
  /** Scheduling entities (threads) that exist, the denominator of "2/80". */
  totalThreads: number | null;
  warnings: string[];
}

export interface CpuInfo {
  model: string | null;
  /** Logical CPUs listed in proc/cpuinfo. */
  logicalCount: number | null;
  /** Mean current frequency in MHz (cpufreq scaling_cur_freq, else the cpuinfo "cpu MHz" lines); null when unknown. */
  freqMhz: number | null;
  /** The x86 'hypervisor' cpu flag; null when the flags line is absent (non-x86) or cpuinfo is unreadable. */
  hypervisorFlag: boolean | null;
  warnings: string[];
}

const CPU_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice'] as const;

function parseCpuLine(parts: string[]): CpuTimes | null {
  // parts[0] is the label; at least user..idle must be present (4 fields, Linux 2.4), later fields default to 0.
  const nums: number[] = [];
  for (let i = 1; i < parts.length && nums.length < CPU_FIELDS.length; i++) {
    const n = parseNonNegInt(parts[i]);
    if (n === null) return null;
    nums.push(n);
  }
  if (nums.length < 4) return null;
  const t = {} as CpuTimes;
  CPU_FIELDS.forEach((k, i) => {
    t[k] = nums[i] ?? 0;
  });
  return t;
}

/** Parses the text of proc/stat. Malformed lines are skipped with a warning. */
export function parseCpuStat(text: string): CpuStat {
  const out: CpuStat = {
    total: null,
    perCore: [],
    ctxSwitches: null,
    interrupts: null,
    forksCount: null,
    procsRunning: null,
    procsBlocked: null,
    bootTimeSec: null,
    warnings: [],
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.trim().split(/\s+/);
    const key = parts[0] ?? '';
    if (key === 'cpu') {
      out.total = parseCpuLine(parts);
      if (!out.total) out.warnings.push('proc/stat: malformed aggregate cpu line');
    } else if (/^cpu\d+$/.test(key)) {
      const t = parseCpuLine(parts);
      if (t) out.perCore.push({ cpu: Number(key.slice(3)), ...t });
      else out.warnings.push(`proc/stat: malformed ${key} line`);
    } else if (key === 'intr') out.interrupts = parseNonNegInt(parts[1]);
    else if (key === 'ctxt') out.ctxSwitches = parseNonNegInt(parts[1]);
    else if (key === 'btime') out.bootTimeSec = parseNonNegInt(parts[1]);
    else if (key === 'processes') out.forksCount = parseNonNegInt(parts[1]);
    else if (key === 'procs_running') out.procsRunning = parseNonNegInt(parts[1]);
    else if (key === 'procs_blocked') out.procsBlocked = parseNonNegInt(parts[1]);
  }
  if (!out.total) out.warnings.push('proc/stat: no aggregate cpu line');
  return out;
}

/** Reads proc/stat. */
export function readCpuStat(ctx: CollectorContext): CpuStat {
  const text = readText(join(ctx.root, 'proc/stat'));
  if (text === null) {
    const empty = parseCpuStat('');
    empty.warnings = ['proc/stat: unreadable'];
    return empty;
  }
  return parseCpuStat(text);
}

/**
 * Utilisation between two proc/stat samples, each field 0–100 rounded to 0.1.
 * guest/guestNice are not added to the total (the kernel already counts them in user/nice).
 * A counter that went backwards (CPU hot-unplug/replug, wrap) contributes 0. Null when no time elapsed.
 */
export function cpuBreakdown(prev: CpuTimes, cur: CpuTimes): CpuBreakdown | null {
  const d = (k: keyof CpuTimes): number => {
    const v = cur[k] - prev[k];
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  const user = d('user');
  const nice = d('nice');
  const system = d('system');
  const idle = d('idle');
  const iowait = d('iowait');
  const irq = d('irq');
  const softirq = d('softirq');
  const steal = d('steal');
  const guest = Math.min(d('guest') + d('guestNice'), user + nice);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  if (total <= 0) return null;
  const p = (v: number): number => round1((v / total) * 100);
  return {
    userPct: p(user),
    nicePct: p(nice),
    systemPct: p(system),
    idlePct: p(idle),
    iowaitPct: p(iowait),
    irqPct: p(irq),
    softirqPct: p(softirq),
    stealPct: p(steal),
    guestPct: p(guest),
    busyPct: p(total - idle - iowait),
  };
}

/** Per-core breakdown, matching cores by CPU number; cores missing from either sample are omitted. */
export function perCoreBreakdown(prev: readonly CoreTimes[], cur: readonly CoreTimes[]): CoreBreakdown[] {
  const before = new Map(prev.map((c) => [c.cpu, c]));
  const out: CoreBreakdown[] = [];
  for (const c of cur) {
    const p = before.get(c.cpu);
    const b = p ? cpuBreakdown(p, c) : null;
    if (b) out.push({ cpu: c.cpu, ...b });
  }
  return out;
}

/** Parses proc/loadavg: "0.04 0.03 0.00 1/80 2622". */
export function parseLoadAvg(text: string): LoadAvg {
  const parts = text.trim().split(/\s+/);
  const [r, t] = (parts[3] ?? '').split('/');
  const out: LoadAvg = {
    load1: parseDecimal(parts[0]),
    load5: parseDecimal(parts[1]),
    load15: parseDecimal(parts[2]),
    runnableCount: parseNonNegInt(r),
    totalThreads: parseNonNegInt(t),
    warnings: [],
  };
  if (out.load1 === null || out.load5 === null || out.load15 === null) out.warnings.push('proc/loadavg: malformed');
  return out;
}

export function readLoadAvg(ctx: CollectorContext): LoadAvg {
  const text = readText(join(ctx.root, 'proc/loadavg'), 4096);
  if (text === null) {
    return { load1: null, load5: null, load15: null, runnableCount: null, totalThreads: null, warnings: ['proc/loadavg: unreadable'] };
  }
  return parseLoadAvg(text);
}

/** Counts a CPU list such as "0-3,8,10-11" (sysfs format); null when malformed. */
export function countCpuList(list: string): number | null {
  let n = 0;
  const s = list.trim();
  if (s === '') return 0;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return null;
    n += b - a + 1;
  }
  return n;
}

/**
 * Logical CPUs online: sys/devices/system/cpu/online, else the cpuN lines of proc/stat, else null.
 */
export function readLogicalCpuCount(ctx: CollectorContext, stat?: CpuStat): number | null {
  const online = readLine(join(ctx.root, 'sys/devices/system/cpu/online'));
  const fromSys = online === null ? null : countCpuList(online);
  if (fromSys !== null && fromSys > 0) return fromSys;
  const s = stat ?? readCpuStat(ctx);
  return s.perCore.length > 0 ? s.perCore.length : null;
}

const MODEL_KEYS = ['model name', 'Hardware', 'Processor', 'cpu model', 'cpu'];

/** Parses proc/cpuinfo (any architecture; model from the first of "model name", "Hardware", ...). */
export function parseCpuInfo(text: string): Omit<CpuInfo, 'warnings'> {
  let model: string | null = null;
  let modelRank = MODEL_KEYS.length;
  let logical = 0;
  const mhz: number[] = [];
  let flags: boolean | null = null;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (key === 'processor' && /^\d+$/.test(value)) logical++;
    else if (key === 'cpu MHz') {
      const n = parseDecimal(value);
      if (n !== null && n > 0 && n < 1e6) mhz.push(n);
    } else if (key === 'flags' && flags !== true) flags = value.split(/\s+/).includes('hypervisor');
    const rank = MODEL_KEYS.indexOf(key);
    if (rank >= 0 && rank < modelRank && value !== '') {
      model = value;
      modelRank = rank;
    }
  }
  const freqMhz = mhz.length > 0 ? round1(mhz.reduce((a, b) => a + b, 0) / mhz.length) : null;
  return { model, logicalCount: logical > 0 ? logical : null, freqMhz, hypervisorFlag: flags };
}

/** Mean scaling_cur_freq over the first `maxCpus` CPUs, in MHz; null when cpufreq is absent. */
function readCpufreqMhz(ctx: CollectorContext, maxCpus = 256): number | null {
  const vals: number[] = [];
  for (let i = 0; i < maxCpus; i++) {
    const khz = parseNonNegInt(readLine(join(ctx.root, `sys/devices/system/cpu/cpu${i}/cpufreq/scaling_cur_freq`)));
    if (khz === null) break;
    vals.push(khz / 1000);
  }
  return vals.length > 0 ? round1(vals.reduce((a, b) => a + b, 0) / vals.length) : null;
}

/** CPU model, logical count, current mean frequency and the hypervisor flag. Not for every tick (cpuinfo is large). */
export function readCpuInfo(ctx: CollectorContext): CpuInfo {
  const text = readText(join(ctx.root, 'proc/cpuinfo'), 4 * 1024 * 1024);
  const warnings: string[] = [];
  const parsed = text === null ? { model: null, logicalCount: null, freqMhz: null, hypervisorFlag: null } : parseCpuInfo(text);
  if (text === null) warnings.push('proc/cpuinfo: unreadable');
  const freq = readCpufreqMhz(ctx) ?? parsed.freqMhz;
  return { ...parsed, freqMhz: freq, warnings };
}
