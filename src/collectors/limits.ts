/**
 * Exhaustion sweep: the kernel-wide tables that run out before CPU or memory do — open files
 * (fs/file-nr), pids and threads (kernel/pid_max, threads-max, loadavg's scheduling-entity count),
 * our cgroup's pids.max, nf_conntrack, ephemeral ports (an estimate from proc/net/sockstat), the
 * inotify limits, and the processes holding the most file descriptors (readdir of proc/[pid]/fd only;
 * limits and comm are read for the top few). Never throws.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCgroup } from './cgroup.js';
import type { CollectorContext } from './context.js';
import { readConntrack, readSockstat } from './network.js';
import { parseFdLimit } from './process-detail.js';
import { listPids } from './processes.js';
import { parseNonNegInt, readLine, readText } from './read.js';

interface FdProcess {
  pid: number;
  comm: string | null;
  fdCount: number;
  /** Soft RLIMIT_NOFILE; null when unreadable or unlimited. */
  fdLimit: number | null;
}

interface LimitsReading {
  fds: { allocated: number; max: number } | null;
  processes: number | null;
  /** Kernel scheduling entities (threads) from proc/loadavg. */
  threads: number | null;
  pidMax: number | null;
  threadsMax: number | null;
  cgroupPids: { current: number; max: number } | null;
  conntrack: { count: number; max: number } | null;
  ephemeralPorts: { low: number; high: number; inUseEstimate: number | null } | null;
  inotify: { maxUserWatches: number | null; maxUserInstances: number | null };
  topFd: FdProcess[];
  /** Processes whose fd directory could not be read (other users' without privileges). */
  fdUnreadable: number;
  /** Processes holding at least one fd (readable fd directory). */
  fdCounted: number;
  warnings: string[];
}

/** "allocated free max" → used handles (allocated − free) and max; null when malformed. */
export function parseFileNr(text: string): { allocated: number; max: number } | null {
  const f = text.trim().split(/\s+/);
  if (f.length < 3) return null;
  const alloc = parseNonNegInt(f[0]);
  const free = parseNonNegInt(f[1]);
  const max = parseNonNegInt(f[2]);
  if (alloc === null || free === null || max === null || free > alloc) return null;
  return { allocated: alloc - free, max };
}

/** "32768\t60999" → {low, high}; null when malformed or inverted. */
export function parsePortRange(text: string): { low: number; high: number } | null {
  const f = text.trim().split(/\s+/);
  const low = parseNonNegInt(f[0]);
  const high = parseNonNegInt(f[1]);
  if (f.length !== 2 || low === null || high === null || low > high || high > 65535) return null;
  return { low, high };
}

/** The 4th field of proc/loadavg, "running/total": total scheduling entities. */
export function parseLoadavgThreads(text: string): number | null {
  const m = /^\S+\s+\S+\s+\S+\s+\d+\/(\d+)\s/.exec(text);
  return m ? parseNonNegInt(m[1]) : null;
}

function countDir(path: string): number | null {
  try {
    return readdirSync(path).length;
  } catch {
    return null;
  }
}

export function readLimits(ctx: CollectorContext, topN = 10): LimitsReading {
  const warnings: string[] = [];
  const sys = (rel: string): string | null => readLine(join(ctx.root, 'proc/sys', rel));
  const num = (rel: string): number | null => parseNonNegInt(sys(rel));

  const fileNr = sys('fs/file-nr');
  const fds = fileNr === null ? null : parseFileNr(fileNr);
  if (fileNr === null) warnings.push('proc/sys/fs/file-nr: unreadable');
  else if (fds === null) warnings.push('proc/sys/fs/file-nr: malformed');

  const loadavg = readLine(join(ctx.root, 'proc/loadavg'));
  const threads = loadavg === null ? null : parseLoadavgThreads(loadavg);
  if (threads === null) warnings.push('proc/loadavg: no thread count');

  const cg = readCgroup(ctx);
  const cgroupPids = cg.pids.current !== null && cg.pids.max !== null ? { current: cg.pids.current, max: cg.pids.max } : null;

  const rangeText = sys('net/ipv4/ip_local_port_range');
  const range = rangeText === null ? null : parsePortRange(rangeText);
  if (rangeText !== null && range === null) warnings.push('proc/sys/net/ipv4/ip_local_port_range: malformed');
  let ephemeralPorts: LimitsReading['ephemeralPorts'] = null;
  if (range) {
    const ss = readSockstat(ctx);
    const parts = ss ? [ss.tcpInUse, ss.tcpTimeWait, ss.tcp6InUse] : [];
    const inUseEstimate = ss && ss.tcpInUse !== null ? parts.reduce<number>((a, b) => a + (b ?? 0), 0) : null;
    ephemeralPorts = { ...range, inUseEstimate };
  }

  const pids = listPids(ctx);
  if (pids === null) warnings.push('proc: unreadable');
  const counted: Array<{ pid: number; fdCount: number }> = [];
  let fdUnreadable = 0;
  for (const pid of pids ?? []) {
    const n = countDir(join(ctx.root, 'proc', String(pid), 'fd'));
    if (n === null) fdUnreadable += 1;
    else if (n > 0) counted.push({ pid, fdCount: n });
  }
  counted.sort((a, b) => b.fdCount - a.fdCount || a.pid - b.pid);
  const topFd: FdProcess[] = counted.slice(0, topN).map(({ pid, fdCount }) => {
    const dir = join(ctx.root, 'proc', String(pid));
    const limits = readText(join(dir, 'limits'), 8192);
    return { pid, comm: readLine(join(dir, 'comm'), 256) ?? commFromStat(readText(join(dir, 'stat'), 4096)), fdCount, fdLimit: limits === null ? null : parseFdLimit(limits) };
  });
  if (fdUnreadable > 0) warnings.push(`${fdUnreadable} process(es) whose fd directory could not be read (other users' processes without privileges, or gone) were not ranked`);

  return {
    fds,
    processes: pids?.length ?? null,
    threads,
    pidMax: num('kernel/pid_max'),
    threadsMax: num('kernel/threads-max'),
    cgroupPids,
    conntrack: readConntrack(ctx),
    ephemeralPorts,
    inotify: { maxUserWatches: num('fs/inotify/max_user_watches'), maxUserInstances: num('fs/inotify/max_user_instances') },
    topFd,
    fdUnreadable,
    fdCounted: counted.length,
    warnings: [...warnings, ...cg.warnings.slice(0, 2)],
  };
}

function commFromStat(stat: string | null): string | null {
  if (stat === null) return null;
  const a = stat.indexOf('(');
  const b = stat.lastIndexOf(')');
  return a >= 0 && b > a ? stat.slice(a + 1, b) : null;
}
