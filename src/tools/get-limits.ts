import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { limitsDataSchema, readLimitsHealth } from '../diagnostics/limits.js';
import { fmtPct, lines, renderAssessments } from './common.js';

export const getLimits = defineTool({
  name: 'get_limits',
  title: 'Limits and exhaustion sweep',
  description:
    'How close the host is to the limits that make things fail with EMFILE/ENFILE, EAGAIN on fork, "nf_conntrack: table full" or EADDRNOTAVAIL: open files system-wide (fs/file-nr vs fs.file-max), pids and threads (vs kernel.pid_max and threads-max), this process\'s cgroup pids.max, nf_conntrack entries, ephemeral ports (an upper-bound ESTIMATE from TCP sockets in use + TIME_WAIT vs ip_local_port_range), inotify limits, and the 10 processes holding the most file descriptors with their soft limit. Each with usedPct (%) and an assessment. Cheap (no sampling window).',
  toolset: 'core',
  input: z.object({}).strict(),
  data: limitsDataSchema,
  async handler(_args, { services }) {
    const r = readLimitsHealth(services);
    return { data: r.data, assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, assessments }) {
    return lines(
      `open files: ${d.fds ? `${d.fds.allocated} of ${d.fds.max} (${fmtPct(d.fds.usedPct)})` : '?'}; threads: ${d.threads ? `${d.threads.count} of ${d.threads.max} (${fmtPct(d.threads.usedPct)})` : '?'}, pid_max ${d.pids?.max ?? '?'}; processes ${d.processes ?? '?'}`,
      d.cgroupPids && `cgroup pids: ${d.cgroupPids.current} of ${d.cgroupPids.max} (${fmtPct(d.cgroupPids.usedPct)})`,
      d.conntrack && `conntrack: ${d.conntrack.count} of ${d.conntrack.max} (${fmtPct(d.conntrack.usedPct)})`,
      d.ephemeralPorts && `ephemeral ports ${d.ephemeralPorts.low}–${d.ephemeralPorts.high}: ~${d.ephemeralPorts.inUseEstimate ?? '?'} in use (estimate, ${fmtPct(d.ephemeralPorts.usedPct)})`,
      d.topFdProcesses.length > 0 && `top fd holders: ${d.topFdProcesses.map((p) => `${p.comm ?? '?'}[${p.pid}] ${p.fdCount}/${p.fdLimit ?? '∞'}`).join(', ')}`,
      renderAssessments(assessments),
    );
  },
});
