/** get_limits: usage of kernel tables and limits, each with usedPct and an assessment (limits.usedPct / conntrack.usedPct). */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { readLimits } from '../collectors/limits.js';
import { pct } from '../collectors/read.js';
import { assess } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { ifKnown } from '../util/missing.js';

const count = z.object({ count: z.number().int().nonnegative(), max: z.number().int().nonnegative(), usedPct: z.number().nullable() }).nullable();

export const limitsDataSchema = z.object({
  /** open file handles system-wide (fs/file-nr) vs fs.file-max */
  fds: z.object({ allocated: z.number().int().nonnegative(), max: z.number().int().nonnegative(), usedPct: z.number().nullable() }).nullable(),
  /** threads (each uses a pid) vs kernel.pid_max */
  pids: count,
  /** threads (scheduling entities, proc/loadavg) vs kernel.threads-max */
  threads: count,
  processes: z.number().int().nonnegative().nullable(),
  /** this process's cgroup: pids.current vs pids.max; null when unlimited or without a pids controller */
  cgroupPids: z
    .object({ current: z.number().int().nonnegative(), max: z.number().int().nonnegative(), usedPct: z.number().nullable() })
    .nullable(),
  /** nf_conntrack entries vs nf_conntrack_max; null when the module is not loaded */
  conntrack: count,
  /** ip_local_port_range vs an ESTIMATE of ports in use: all TCP sockets in use + TIME_WAIT (proc/net/sockstat); ports are reusable per destination, so this is an upper bound (usedPct capped at 100) */
  ephemeralPorts: z
    .object({ low: z.number().int(), high: z.number().int(), rangeSize: z.number().int(), inUseEstimate: z.number().int().nullable(), usedPct: z.number().nullable() })
    .nullable(),
  /** per-user inotify limits (current use is not counted: that needs every fdinfo) */
  inotify: z.object({ maxUserWatches: z.number().int().nullable(), maxUserInstances: z.number().int().nullable() }),
  /** processes holding the most fds, with their soft RLIMIT_NOFILE */
  topFdProcesses: z.array(z.object({ pid: z.number().int(), comm: z.string().nullable(), fdCount: z.number().int(), fdLimit: z.number().int().nullable(), usedPct: z.number().nullable() })),
  /** processes whose fd directory could not be read (not ranked) */
  fdProcessesUnreadable: z.number().int().nonnegative(),
});
type LimitsData = z.infer<typeof limitsDataSchema>;

function usedPct(n: number, max: number): number | null {
  return max > 0 ? pct(n, max) : null;
}

export function readLimitsHealth(services: HostInputs, topN = 10): { data: LimitsData; assessments: Assessment[]; warnings: string[] } {
  const r = readLimits(services.collectors, topN);
  const rangeSize = r.ephemeralPorts ? r.ephemeralPorts.high - r.ephemeralPorts.low + 1 : 0;
  const data: LimitsData = {
    fds: r.fds ? { ...r.fds, usedPct: usedPct(r.fds.allocated, r.fds.max) } : null,
    pids: r.threads !== null && r.pidMax !== null ? { count: r.threads, max: r.pidMax, usedPct: usedPct(r.threads, r.pidMax) } : null,
    threads: r.threads !== null && r.threadsMax !== null ? { count: r.threads, max: r.threadsMax, usedPct: usedPct(r.threads, r.threadsMax) } : null,
    processes: r.processes,
    cgroupPids: r.cgroupPids ? { ...r.cgroupPids, usedPct: usedPct(r.cgroupPids.current, r.cgroupPids.max) } : null,
    conntrack: r.conntrack ? { ...r.conntrack, usedPct: usedPct(r.conntrack.count, r.conntrack.max) } : null,
    ephemeralPorts: r.ephemeralPorts
      ? { ...r.ephemeralPorts, rangeSize, usedPct: r.ephemeralPorts.inUseEstimate === null ? null : usedPct(r.ephemeralPorts.inUseEstimate, rangeSize) }
      : null,
    inotify: r.inotify,
    topFdProcesses: r.topFd.map((p) => ({ ...p, usedPct: p.fdLimit === null ? null : usedPct(p.fdCount, p.fdLimit) })),
    fdProcessesUnreadable: r.fdUnreadable,
  };
  const t = services.thresholds;
  const spec = t['limits.usedPct'];
  const assessments: Assessment[] = [
    assess({ area: 'limits', code: 'limits.fds', label: 'Open files (system-wide, of fs.file-max)', value: data.fds?.usedPct, spec }),
    assess({ area: 'limits', code: 'limits.pids', label: 'Pids in use (of kernel.pid_max)', value: data.pids?.usedPct, spec }),
    assess({ area: 'limits', code: 'limits.threads', label: 'Threads (of kernel.threads-max)', value: data.threads?.usedPct, spec }),
    assess({ area: 'limits', code: 'limits.ephemeral_ports', label: 'Ephemeral ports (estimate, of ip_local_port_range)', value: data.ephemeralPorts?.usedPct, spec }),
  ];
  if (data.cgroupPids) assessments.push(assess({ area: 'limits', code: 'limits.cgroup_pids', label: 'Cgroup pids (of pids.max)', value: data.cgroupPids.usedPct, spec }));
  if (data.conntrack) assessments.push(assess({ area: 'limits', code: 'limits.conntrack', label: 'Conntrack entries (of nf_conntrack_max)', value: data.conntrack.usedPct, spec: t['conntrack.usedPct'] }));
  const worstFd = data.topFdProcesses.filter((p) => p.usedPct !== null).sort((a, b) => (b.usedPct ?? 0) - (a.usedPct ?? 0))[0];
  if (worstFd)
    assessments.push(
      assess({ area: 'limits', code: 'limits.process_fds', label: `Open files of pid ${worstFd.pid}${ifKnown(worstFd.comm || null, (c) => ` (${c})`)} of its soft limit`, value: worstFd.usedPct, spec, evidence: [`${worstFd.fdCount} of ${worstFd.fdLimit}`] }),
    );
  return { data, assessments, warnings: r.warnings };
}
