/**
 * Control groups: which hierarchy a process is in (v1, v2 or hybrid) and its limits, usage and throttling.
 *
 * v2: the process's own directory under sys/fs/cgroup (falling back to the mount root when the path is not
 * visible, as inside a container with a private cgroup namespace). v1: the memory, cpu and pids controllers at
 * their conventional mount points sys/fs/cgroup/<controller>. 'max' and v1's "unlimited" huge values → null.
 */
import { join, posix } from 'node:path';
import type { CollectorContext } from './context.js';
import { countCpuList } from './cpu.js';
import { readMemInfo } from './memory.js';
import type { PsiResource } from './pressure.js';
import { readPsiFile } from './pressure.js';
import { parseKeyValueNumbers, parseNonNegInt, pathExists, readLine, readText } from './read.js';

/** Anything at or above 2^62 is v1's "no limit" (PAGE_COUNTER_MAX × page size = 9223372036854771712). */
const UNLIMITED_THRESHOLD = 2 ** 62;
const MAX_DEPTH = 32;

export type CgroupMode = 'v2' | 'v1' | 'hybrid' | 'none';

export interface CgroupCpuStat {
  /** Total CPU used by the cgroup, µs (v2 usage_usec; v1 cpuacct.usage / 1000 when available). */
  usageUsec: number | null;
  nrPeriods: number | null;
  nrThrottled: number | null;
  throttledUsec: number | null;
}

export interface CgroupInfo {
  mode: CgroupMode;
  /** The hierarchy the limits below come from (hybrid hosts: 1). */
  version: 1 | 2 | null;
  /** The cgroup path from proc/<pid>/cgroup (v2 entry, or v1 memory controller). */
  path: string | null;
  /** Directory read, relative to root (v2 only; v1 reads several controller directories). */
  dir: string | null;
  cpu: CgroupCpuStat & { quotaUsec: number | null; periodUsec: number | null; quotaCores: number | null };
  memory: {
    currentBytes: number | null;
    maxBytes: number | null;
    highBytes: number | null;
    peakBytes: number | null;
    swapMaxBytes: number | null;
    events: { low: number | null; high: number | null; max: number | null; oom: number | null; oomKill: number | null } | null;
  };
  pids: { current: number | null; max: number | null };
  /** v2 per-cgroup PSI; null on v1 or when absent. */
  pressure: { cpu: PsiResource | null; memory: PsiResource | null; io: PsiResource | null };
  warnings: string[];
}

export interface EffectiveLimits {
  /** Smallest CPU quota (in cores) on the path to the root, or the affinity mask if smaller; null = no limit. */
  cpuCores: number | null;
  /** Smallest memory limit on the path to the root, if below MemTotal; null = no limit. */
  memoryBytes: number | null;
}

/** A limit value: a number, or null for 'max' / -1 / v1 "unlimited". */
export function parseLimit(s: string | null | undefined): number | null {
  if (s === null || s === undefined) return null;
  const t = s.trim();
  if (t === 'max' || t === '-1') return null;
  const n = parseNonNegInt(t);
  return n === null || n >= UNLIMITED_THRESHOLD ? null : n;
}

/** Parses v2 cpu.max "quota period" ("max 100000" → quota null). */
export function parseCpuMax(s: string | null): { quotaUsec: number | null; periodUsec: number | null } {
  if (s === null) return { quotaUsec: null, periodUsec: null };
  const [q, p] = s.trim().split(/\s+/);
  return { quotaUsec: parseLimit(q), periodUsec: parseNonNegInt(p) };
}

function quotaCores(quotaUsec: number | null, periodUsec: number | null): number | null {
  return quotaUsec !== null && periodUsec !== null && periodUsec > 0 ? Math.round((quotaUsec / periodUsec) * 1000) / 1000 : null;
}

/** Parses proc/<pid>/cgroup into v2 path and v1 controller → path. */
export function parseProcCgroup(text: string): { v2Path: string | null; v1: Map<string, string> } {
  let v2Path: string | null = null;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2Path = m[3]!;
    else for (const c of m[2]!.split(',')) if (c !== '') v1.set(c, m[3]!);
  }
  return { v2Path, v1 };
}

/** Joins a cgroup path under a mount, falling back to the mount itself when the path is not visible there. */
function resolveDir(ctx: CollectorContext, mountRel: string, cgPath: string, probe: string): string {
  const clean = posix.normalize(`/${cgPath}`);
  if (!cgPath.includes('..') && clean !== '/') {
    const rel = posix.join(mountRel, clean);
    if (pathExists(join(ctx.root, rel, probe))) return rel;
  }
  return mountRel;
}

function kv(ctx: CollectorContext, rel: string): Map<string, number> | null {
  const t = readText(join(ctx.root, rel), 16 * 1024);
  return t === null ? null : parseKeyValueNumbers(t).values;
}

function line(ctx: CollectorContext, rel: string): string | null {
  return readLine(join(ctx.root, rel));
}

function emptyInfo(mode: CgroupMode, warnings: string[]): CgroupInfo {
  return {
    mode,
    version: null,
    path: null,
    dir: null,
    cpu: { usageUsec: null, nrPeriods: null, nrThrottled: null, throttledUsec: null, quotaUsec: null, periodUsec: null, quotaCores: null },
    memory: { currentBytes: null, maxBytes: null, highBytes: null, peakBytes: null, swapMaxBytes: null, events: null },
    pids: { current: null, max: null },
    pressure: { cpu: null, memory: null, io: null },
    warnings,
  };
}

/** Detects the cgroup mode and the process's paths. */
export function detectCgroup(ctx: CollectorContext, pid: number | 'self' = 'self'): { mode: CgroupMode; v2Path: string | null; v1: Map<string, string>; warnings: string[] } {
  const warnings: string[] = [];
  const text = readText(join(ctx.root, 'proc', String(pid), 'cgroup'), 64 * 1024);
  if (text === null) warnings.push(`proc/${pid}/cgroup: unreadable`);
  const { v2Path, v1 } = parseProcCgroup(text ?? '');
  const unifiedRoot = pathExists(join(ctx.root, 'sys/fs/cgroup/cgroup.controllers'));
  let mode: CgroupMode;
  if (unifiedRoot && v1.size === 0) mode = 'v2';
  else if (v1.size > 0) mode = v2Path !== null ? 'hybrid' : 'v1';
  else mode = v2Path !== null ? 'v2' : 'none';
  return { mode, v2Path, v1, warnings };
}

/** Reads v2 cpu.stat (or the v1 equivalents) from a cgroup directory relative to root. */
export function readCgroupCpuStat(ctx: CollectorContext, dirRel: string, version: 1 | 2): CgroupCpuStat {
  const s = kv(ctx, posix.join(dirRel, 'cpu.stat'));
  if (version === 2) {
    return {
      usageUsec: s?.get('usage_usec') ?? null,
      nrPeriods: s?.get('nr_periods') ?? null,
      nrThrottled: s?.get('nr_throttled') ?? null,
      throttledUsec: s?.get('throttled_usec') ?? null,
    };
  }
  const usageNs = parseNonNegInt(line(ctx, posix.join(dirRel, 'cpuacct.usage')));
  const throttledNs = s?.get('throttled_time');
  return {
    usageUsec: usageNs === null ? null : Math.round(usageNs / 1000),
    nrPeriods: s?.get('nr_periods') ?? null,
    nrThrottled: s?.get('nr_throttled') ?? null,
    throttledUsec: throttledNs === undefined ? null : Math.round(throttledNs / 1000),
  };
}

function readV2(ctx: CollectorContext, path: string, info: CgroupInfo): void {
  const dir = resolveDir(ctx, 'sys/fs/cgroup', path, 'cgroup.procs');
  info.version = 2;
  info.path = path;
  info.dir = dir;
  const f = (name: string): string => posix.join(dir, name);
  const { quotaUsec, periodUsec } = parseCpuMax(line(ctx, f('cpu.max')));
  info.cpu = { ...readCgroupCpuStat(ctx, dir, 2), quotaUsec, periodUsec, quotaCores: quotaCores(quotaUsec, periodUsec) };
  const ev = kv(ctx, f('memory.events'));
  info.memory = {
    currentBytes: parseNonNegInt(line(ctx, f('memory.current'))),
    maxBytes: parseLimit(line(ctx, f('memory.max'))),
    highBytes: parseLimit(line(ctx, f('memory.high'))),
    peakBytes: parseNonNegInt(line(ctx, f('memory.peak'))),
    swapMaxBytes: parseLimit(line(ctx, f('memory.swap.max'))),
    events: ev
      ? { low: ev.get('low') ?? null, high: ev.get('high') ?? null, max: ev.get('max') ?? null, oom: ev.get('oom') ?? null, oomKill: ev.get('oom_kill') ?? null }
      : null,
  };
  info.pids = { current: parseNonNegInt(line(ctx, f('pids.current'))), max: parseLimit(line(ctx, f('pids.max'))) };
  const w = info.warnings;
  info.pressure = {
    cpu: readPsiFile(join(ctx.root, f('cpu.pressure')), f('cpu.pressure'), w),
    memory: readPsiFile(join(ctx.root, f('memory.pressure')), f('memory.pressure'), w),
    io: readPsiFile(join(ctx.root, f('io.pressure')), f('io.pressure'), w),
  };
}

function v1Dir(ctx: CollectorContext, v1: Map<string, string>, controller: string, mounts: string[]): string | null {
  const path = v1.get(controller);
  if (path === undefined) return null;
  for (const m of mounts) {
    const rel = `sys/fs/cgroup/${m}`;
    if (pathExists(join(ctx.root, rel))) return resolveDir(ctx, rel, path, 'cgroup.procs');
  }
  return null;
}

function readV1(ctx: CollectorContext, v1: Map<string, string>, info: CgroupInfo): void {
  info.version = 1;
  info.path = v1.get('memory') ?? v1.get('cpu') ?? null;
  const mem = v1Dir(ctx, v1, 'memory', ['memory']);
  const cpu = v1Dir(ctx, v1, 'cpu', ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']);
  const pids = v1Dir(ctx, v1, 'pids', ['pids']);
  if (cpu) {
    const quotaUsec = parseLimit(line(ctx, posix.join(cpu, 'cpu.cfs_quota_us')));
    const periodUsec = parseNonNegInt(line(ctx, posix.join(cpu, 'cpu.cfs_period_us')));
    info.cpu = { ...readCgroupCpuStat(ctx, cpu, 1), quotaUsec, periodUsec, quotaCores: quotaCores(quotaUsec, periodUsec) };
  }
  if (mem) {
    const oom = kv(ctx, posix.join(mem, 'memory.oom_control'));
    info.memory = {
      currentBytes: parseNonNegInt(line(ctx, posix.join(mem, 'memory.usage_in_bytes'))),
      maxBytes: parseLimit(line(ctx, posix.join(mem, 'memory.limit_in_bytes'))),
      highBytes: null,
      peakBytes: parseNonNegInt(line(ctx, posix.join(mem, 'memory.max_usage_in_bytes'))),
      swapMaxBytes: null,
      events: oom ? { low: null, high: null, max: null, oom: null, oomKill: oom.get('oom_kill') ?? null } : null,
    };
  }
  if (pids) {
    info.pids = { current: parseNonNegInt(line(ctx, posix.join(pids, 'pids.current'))), max: parseLimit(line(ctx, posix.join(pids, 'pids.max'))) };
  }
}

/** The cgroup of a process (default: our own) with its limits, usage, throttling counters and PSI. Never throws. */
export function readCgroup(ctx: CollectorContext, pid: number | 'self' = 'self'): CgroupInfo {
  const d = detectCgroup(ctx, pid);
  const info = emptyInfo(d.mode, d.warnings);
  if (d.mode === 'v2' && d.v2Path !== null) readV2(ctx, d.v2Path, info);
  else if (d.mode === 'v1' || d.mode === 'hybrid') readV1(ctx, d.v1, info);
  return info;
}

/** Throttling between two cpu.stat readings: share of scheduling periods throttled, and seconds throttled. */
export function throttlingInWindow(prev: CgroupCpuStat, cur: CgroupCpuStat): { throttledPeriodsPct: number | null; throttledSec: number | null } {
  const dp = prev.nrPeriods !== null && cur.nrPeriods !== null ? cur.nrPeriods - prev.nrPeriods : null;
  const dt = prev.nrThrottled !== null && cur.nrThrottled !== null ? cur.nrThrottled - prev.nrThrottled : null;
  const du = prev.throttledUsec !== null && cur.throttledUsec !== null ? cur.throttledUsec - prev.throttledUsec : null;
  return {
    throttledPeriodsPct: dp !== null && dt !== null && dp > 0 && dt >= 0 ? Math.min(100, Math.round((dt / dp) * 1000) / 10) : null,
    throttledSec: du !== null && du >= 0 ? Math.round(du / 1000) / 1000 : null,
  };
}

/** Walks from a v2 cgroup directory to the mount root, taking the smallest cpu and memory limits. */
function v2AncestorLimits(ctx: CollectorContext, dir: string): { cores: number | null; memory: number | null } {
  let cores: number | null = null;
  let memory: number | null = null;
  let cur = dir;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const { quotaUsec, periodUsec } = parseCpuMax(line(ctx, posix.join(cur, 'cpu.max')));
    const c = quotaCores(quotaUsec, periodUsec);
    if (c !== null) cores = cores === null ? c : Math.min(cores, c);
    const m = parseLimit(line(ctx, posix.join(cur, 'memory.max')));
    if (m !== null) memory = memory === null ? m : Math.min(memory, m);
    if (cur === 'sys/fs/cgroup' || !cur.startsWith('sys/fs/cgroup/')) break;
    cur = posix.dirname(cur);
  }
  return { cores, memory };
}

/** Effective CPU (cores) and memory (bytes) limits for our own process; null where nothing limits below the host. */
export function effectiveLimits(ctx: CollectorContext): EffectiveLimits {
  const info = readCgroup(ctx, 'self');
  let cores: number | null = null;
  let memory: number | null = null;
  if (info.version === 2 && info.dir !== null) {
    ({ cores, memory } = v2AncestorLimits(ctx, info.dir));
  } else if (info.version === 1) {
    cores = info.cpu.quotaCores;
    memory = info.memory.maxBytes;
    const memDir = v1Dir(ctx, detectCgroup(ctx).v1, 'memory', ['memory']);
    const hier = memDir === null ? undefined : kv(ctx, posix.join(memDir, 'memory.stat'))?.get('hierarchical_memory_limit');
    const h = hier === undefined ? null : parseLimit(String(hier));
    if (h !== null) memory = memory === null ? h : Math.min(memory, h);
  }
  // CPU affinity (cpuset) limits cores too.
  const status = readText(join(ctx.root, 'proc/self/status'), 16 * 1024);
  const allowed = status === null ? null : /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  const allowedCount = allowed ? countCpuList(allowed) : null;
  const online = readLine(join(ctx.root, 'sys/devices/system/cpu/online'));
  const onlineCount = online === null ? null : countCpuList(online);
  if (allowedCount !== null && allowedCount > 0 && onlineCount !== null && allowedCount < onlineCount) {
    cores = cores === null ? allowedCount : Math.min(cores, allowedCount);
  }
  const total = readMemInfo(ctx).totalBytes;
  if (memory !== null && total !== null && memory >= total) memory = null;
  return { cpuCores: cores, memoryBytes: memory };
}

/** Where our own cgroup's cpu.stat lives (for cheap per-tick throttling), or null without a cpu controller. */
export function resolveCgroupCpuDir(ctx: CollectorContext): { dir: string; version: 1 | 2 } | null {
  const d = detectCgroup(ctx, 'self');
  if (d.mode === 'v2' && d.v2Path !== null) return { dir: resolveDir(ctx, 'sys/fs/cgroup', d.v2Path, 'cgroup.procs'), version: 2 };
  if (d.mode === 'v1' || d.mode === 'hybrid') {
    const dir = v1Dir(ctx, d.v1, 'cpu', ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']);
    return dir === null ? null : { dir, version: 1 };
  }
  return null;
}
