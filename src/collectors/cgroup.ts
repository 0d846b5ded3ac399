/**
 * Control groups: which hierarchy a process is in (v1, v2 or hybrid) and its limits, usage and throttling.
 *
 * v2: the process's own directory under sys/fs/cgroup (falling back to the mount root when the path is not
 * visible, as inside a container with a private cgroup namespace). v1: the memory, cpu, cpuacct, pids and blkio
 * controllers at their conventional mount points sys/fs/cgroup/<controller> (PSI from sys/fs/cgroup/unified on
 * hybrid hosts). 'max' and v1's "unlimited" huge values → null; a present but garbled file → null + a warning.
 */
import { join, posix } from 'node:path';
import type { CollectorContext } from './context.js';
import { countCpuList } from './cpu.js';
import { readMemInfo } from './memory.js';
import type { PsiResource } from './pressure.js';
import { readPsiFile } from './pressure.js';
import { parseIoBytes } from './cgroup-io.js';
import { kv, limitFile, line, malformed, memoryLimitFile, num, parseCpuMax, parseLimit, parseProcCgroup, quotaCores } from './cgroup-files.js';
import { pathExists, readLine, readText } from './read.js';

export { parseCpuMax, parseLimit, parseProcCgroup } from './cgroup-files.js';

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
    /** Swap in use by the cgroup (v2 memory.swap.current; v1 memsw.usage − usage). */
    swapCurrentBytes: number | null;
    /** v2 memory.events; v1: oomKill from memory.oom_control, max = memory.failcnt (times the limit was hit). */
    events: { low: number | null; high: number | null; max: number | null; oom: number | null; oomKill: number | null } | null;
  };
  pids: { current: number | null; max: number | null };
  /** Bytes read/written by the cgroup since it was created (v2 io.stat; v1 blkio io_service_bytes); null without data. */
  io: { readBytes: number | null; writeBytes: number | null };
  /** Controller → directory read, relative to root (v2: every controller maps to `dir`). */
  dirs: Record<string, string>;
  /** v2 per-cgroup PSI; null on v1 or when absent. */
  pressure: { cpu: PsiResource | null; memory: PsiResource | null; io: PsiResource | null };
  warnings: string[];
}

interface EffectiveLimits {
  /** Smallest CPU quota (in cores) on the path to the root, or the affinity mask if smaller; null = no limit. */
  cpuCores: number | null;
  /** Smallest memory limit on the path to the root, if below MemTotal; null = no limit. */
  memoryBytes: number | null;
}

/** The v1 controllers read, with the mount directory names they may have (co-mounted cpu,cpuacct included). */
export const V1_MOUNTS: Readonly<Record<string, readonly string[]>> = {
  memory: ['memory'],
  cpu: ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'],
  cpuacct: ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'],
  pids: ['pids'],
  blkio: ['blkio'],
};

/** Joins a cgroup path under a mount, falling back to the mount itself when the path is not visible there. */
function resolveDir(ctx: CollectorContext, mountRel: string, cgPath: string, probe: string): string {
  const clean = posix.normalize(`/${cgPath}`);
  if (!cgPath.includes('..') && clean !== '/') {
    const rel = posix.join(mountRel, clean);
    if (pathExists(join(ctx.root, rel, probe))) return rel;
  }
  return mountRel;
}

/** An empty CgroupInfo, to fill with readV2Dir / readV1Dirs. */
export function newCgroupInfo(mode: CgroupMode, warnings: string[] = []): CgroupInfo {
  return {
    mode,
    version: null,
    path: null,
    dir: null,
    cpu: { usageUsec: null, nrPeriods: null, nrThrottled: null, throttledUsec: null, quotaUsec: null, periodUsec: null, quotaCores: null },
    memory: { currentBytes: null, maxBytes: null, highBytes: null, peakBytes: null, swapMaxBytes: null, swapCurrentBytes: null, events: null },
    pids: { current: null, max: null },
    io: { readBytes: null, writeBytes: null },
    dirs: {},
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

/**
 * Reads v2 cpu.stat (or the v1 equivalents) from a cgroup directory relative to root. v1 reads cpuacct.usage
 * from `cpuacctDir` (default: the same directory, as when cpu and cpuacct are co-mounted).
 */
export function readCgroupCpuStat(ctx: CollectorContext, dirRel: string, version: 1 | 2, cpuacctDir: string = dirRel, warnings?: string[]): CgroupCpuStat {
  const s = kv(ctx, posix.join(dirRel, 'cpu.stat'), warnings);
  if (version === 2) {
    return {
      usageUsec: s?.get('usage_usec') ?? null,
      nrPeriods: s?.get('nr_periods') ?? null,
      nrThrottled: s?.get('nr_throttled') ?? null,
      throttledUsec: s?.get('throttled_usec') ?? null,
    };
  }
  const usageNs = num(ctx, posix.join(cpuacctDir, 'cpuacct.usage'), warnings);
  const throttledNs = s?.get('throttled_time');
  return {
    usageUsec: usageNs === null ? null : Math.round(usageNs / 1000),
    nrPeriods: s?.get('nr_periods') ?? null,
    nrThrottled: s?.get('nr_throttled') ?? null,
    throttledUsec: throttledNs === undefined ? null : Math.round(throttledNs / 1000),
  };
}

function readIo(ctx: CollectorContext, dir: string, files: readonly string[], version: 1 | 2, warnings: string[]): CgroupInfo['io'] {
  for (const name of files) {
    const rel = posix.join(dir, name);
    const t = readText(join(ctx.root, rel), 64 * 1024);
    if (t === null) continue;
    const r = parseIoBytes(t, version);
    if (r.badLines > 0) malformed(warnings, rel);
    return { readBytes: r.readBytes, writeBytes: r.writeBytes };
  }
  return { readBytes: null, writeBytes: null };
}

function readPressureDir(ctx: CollectorContext, dir: string, warnings: string[]): CgroupInfo['pressure'] {
  const psi = (name: string): PsiResource | null => readPsiFile(join(ctx.root, dir, name), posix.join(dir, name), warnings);
  return { cpu: psi('cpu.pressure'), memory: psi('memory.pressure'), io: psi('io.pressure') };
}

/** Fills `info` from one v2 cgroup directory (relative to root). */
export function readV2Dir(ctx: CollectorContext, path: string, dir: string, info: CgroupInfo): void {
  const w = info.warnings;
  info.version = 2;
  info.path = path;
  info.dir = dir;
  info.dirs = Object.fromEntries(['memory', 'cpu', 'pids', 'io'].map((c) => [c, dir]));
  const f = (name: string): string => posix.join(dir, name);
  const { quotaUsec, periodUsec } = parseCpuMax(line(ctx, f('cpu.max')));
  info.cpu = { ...readCgroupCpuStat(ctx, dir, 2, dir, w), quotaUsec, periodUsec, quotaCores: quotaCores(quotaUsec, periodUsec) };
  const ev = kv(ctx, f('memory.events'), w);
  info.memory = {
    currentBytes: num(ctx, f('memory.current'), w),
    maxBytes: memoryLimitFile(ctx, f('memory.max'), w),
    highBytes: memoryLimitFile(ctx, f('memory.high'), w),
    peakBytes: num(ctx, f('memory.peak'), w),
    swapMaxBytes: memoryLimitFile(ctx, f('memory.swap.max'), w),
    swapCurrentBytes: num(ctx, f('memory.swap.current'), w),
    events: ev
      ? { low: ev.get('low') ?? null, high: ev.get('high') ?? null, max: ev.get('max') ?? null, oom: ev.get('oom') ?? null, oomKill: ev.get('oom_kill') ?? null }
      : null,
  };
  info.pids = { current: num(ctx, f('pids.current'), w), max: limitFile(ctx, f('pids.max'), w) };
  info.io = readIo(ctx, dir, ['io.stat'], 2, w);
  info.pressure = readPressureDir(ctx, dir, w);
}

function readV2(ctx: CollectorContext, path: string, info: CgroupInfo): void {
  readV2Dir(ctx, path, resolveDir(ctx, 'sys/fs/cgroup', path, 'cgroup.procs'), info);
}

/** The directory of a v1 controller's mount (relative to root), or null when it is not mounted. */
export function v1Mount(ctx: CollectorContext, controller: string): string | null {
  for (const m of V1_MOUNTS[controller] ?? [controller]) {
    const rel = `sys/fs/cgroup/${m}`;
    if (pathExists(join(ctx.root, rel))) return rel;
  }
  return null;
}

function v1Dir(ctx: CollectorContext, v1: Map<string, string>, controller: string): string | null {
  const path = v1.get(controller);
  const mount = path === undefined ? null : v1Mount(ctx, controller);
  return mount === null ? null : resolveDir(ctx, mount, path!, 'cgroup.procs');
}

/** Fills `info` from v1 controller directories (relative to root); `unified` is the hybrid v2 directory for PSI. */
export function readV1Dirs(ctx: CollectorContext, path: string | null, dirs: Record<string, string>, unified: string | null, info: CgroupInfo): void {
  const w = info.warnings;
  info.version = 1;
  info.path = path;
  info.dirs = dirs;
  const { memory: mem, cpu, cpuacct, pids, blkio } = dirs;
  if (cpu || cpuacct) {
    const quotaUsec = cpu ? limitFile(ctx, posix.join(cpu, 'cpu.cfs_quota_us'), w) : null;
    const periodUsec = cpu ? num(ctx, posix.join(cpu, 'cpu.cfs_period_us'), w) : null;
    const stat = readCgroupCpuStat(ctx, cpu ?? cpuacct!, 1, cpuacct ?? cpu!, w);
    info.cpu = { ...stat, quotaUsec, periodUsec, quotaCores: quotaCores(quotaUsec, periodUsec) };
  }
  if (mem) {
    const p = (name: string): string => posix.join(mem, name);
    const oom = kv(ctx, p('memory.oom_control'), w);
    const usage = num(ctx, p('memory.usage_in_bytes'), w);
    const memsw = num(ctx, p('memory.memsw.usage_in_bytes'), w);
    const failcnt = num(ctx, p('memory.failcnt'), w);
    info.memory = {
      currentBytes: usage,
      maxBytes: memoryLimitFile(ctx, p('memory.limit_in_bytes'), w),
      highBytes: null,
      peakBytes: num(ctx, p('memory.max_usage_in_bytes'), w),
      swapMaxBytes: null,
      swapCurrentBytes: usage !== null && memsw !== null ? Math.max(0, memsw - usage) : null,
      events: oom || failcnt !== null ? { low: null, high: null, max: failcnt, oom: null, oomKill: oom?.get('oom_kill') ?? null } : null,
    };
  }
  if (pids) info.pids = { current: num(ctx, posix.join(pids, 'pids.current'), w), max: limitFile(ctx, posix.join(pids, 'pids.max'), w) };
  if (blkio) {
    const files = ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes', 'blkio.io_service_bytes_recursive', 'blkio.io_service_bytes'];
    info.io = readIo(ctx, blkio, files, 1, w);
  }
  if (unified) info.pressure = readPressureDir(ctx, unified, w);
}

/** The hybrid host's v2 directory for `path` under sys/fs/cgroup/unified, or null. */
function unifiedDir(ctx: CollectorContext, path: string | null): string | null {
  if (path === null || !pathExists(join(ctx.root, 'sys/fs/cgroup/unified/cgroup.controllers'))) return null;
  const dir = resolveDir(ctx, 'sys/fs/cgroup/unified', path, 'cgroup.procs');
  return dir === 'sys/fs/cgroup/unified' && path !== '/' ? null : dir;
}

function readV1(ctx: CollectorContext, d: { v1: Map<string, string>; v2Path: string | null }, info: CgroupInfo): void {
  const dirs: Record<string, string> = {};
  for (const c of Object.keys(V1_MOUNTS)) {
    const dir = v1Dir(ctx, d.v1, c);
    if (dir !== null) dirs[c] = dir;
  }
  readV1Dirs(ctx, d.v1.get('memory') ?? d.v1.get('cpu') ?? null, dirs, unifiedDir(ctx, d.v2Path), info);
}

/** The cgroup of a process (default: our own) with its limits, usage, throttling counters and PSI. Never throws. */
export function readCgroup(ctx: CollectorContext, pid: number | 'self' = 'self'): CgroupInfo {
  const d = detectCgroup(ctx, pid);
  const info = newCgroupInfo(d.mode, d.warnings);
  if (d.mode === 'v2' && d.v2Path !== null) readV2(ctx, d.v2Path, info);
  else if (d.mode === 'v1' || d.mode === 'hybrid') readV1(ctx, d, info);
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
    const memDir = info.dirs.memory ?? null;
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

/** Where our own cgroup's cpu.stat lives (per-tick throttling), or null; v1: cpuacctDir for readCgroupCpuStat's usage. */
export function resolveCgroupCpuDir(ctx: CollectorContext): { dir: string; version: 1 | 2; cpuacctDir?: string } | null {
  const d = detectCgroup(ctx, 'self');
  if (d.mode === 'v2' && d.v2Path !== null) return { dir: resolveDir(ctx, 'sys/fs/cgroup', d.v2Path, 'cgroup.procs'), version: 2 };
  if (d.mode !== 'v1' && d.mode !== 'hybrid') return null;
  const dir = v1Dir(ctx, d.v1, 'cpu');
  const acct = v1Dir(ctx, d.v1, 'cpuacct');
  return dir === null ? null : { dir, version: 1, ...(acct !== null ? { cpuacctDir: acct } : {}) };
}
