import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { limitsDataSchema, readLimitsHealth } from '../diagnostics/limits.js';
import { fmtPct, lines, renderAssessments } from './common.js';
import { fmtProc, show } from '../util/missing.js';

export const getLimits = defineTool({
  name: 'get_limits',
  title: 'Limits and exhaustion sweep',
  description:
    'How close the host is to the limits behind EMFILE/ENFILE, EAGAIN on fork, "nf_conntrack: table full" or EADDRNOTAVAIL: open files (fs/file-nr vs fs.file-max), pids and threads (vs kernel.pid_max and threads-max), this process\'s cgroup pids.max, nf_conntrack entries, ephemeral ports (an upper-bound ESTIMATE from TCP sockets in use + TIME_WAIT vs ip_local_port_range), inotify limits, and the 10 processes holding the most fds with their soft limit. Each with usedPct and an assessment. Cheap, no window.',
  toolset: 'core',
  input: z.object({}).strict(),
  data: limitsDataSchema,
  async handler(_args, { services }) {
    const r = readLimitsHealth(services);
    return { data: r.data, assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, assessments }) {
    return lines(
      `open files: ${show(d.fds, (f) => `${f.allocated} of ${f.max} (${fmtPct(f.usedPct)})`)}; threads: ${show(d.threads, (t) => `${t.count} of ${t.max} (${fmtPct(t.usedPct)})`)}, pid_max ${show(d.pids?.max)}; processes ${show(d.processes)}`,
      d.cgroupPids && `cgroup pids: ${d.cgroupPids.current} of ${d.cgroupPids.max} (${fmtPct(d.cgroupPids.usedPct)})`,
      d.conntrack && `conntrack: ${d.conntrack.count} of ${d.conntrack.max} (${fmtPct(d.conntrack.usedPct)})`,
      d.ephemeralPorts && `ephemeral ports ${d.ephemeralPorts.low}–${d.ephemeralPorts.high}: ${show(d.ephemeralPorts.inUseEstimate, (n) => `~${n}`)} in use (estimate, ${fmtPct(d.ephemeralPorts.usedPct)})`,
      d.topFdProcesses.length > 0 && `top fd holders: ${d.topFdProcesses.map((p) => `${fmtProc(p.comm, p.pid)} ${p.fdCount}/${p.fdLimit ?? '∞'}`).join(', ')}`,
      renderAssessments(assessments),
    );
  },
});
