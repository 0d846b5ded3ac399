import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { ToolError } from '../contracts/errors.js';
import { INCLUDE, processDetailSchema, readProcessDetail } from '../diagnostics/process.js';
import { fmtBytes, fmtPct, lines, renderAssessments, windowSecField } from './common.js';

export const getProcess = defineTool({
  name: 'get_process',
  title: 'One process in depth',
  description:
    'Everything about one PID (find it with top_processes or list_sockets): state, comm, command line (secrets redacted, clipped), exe, cwd, user/uid, parent, start time, cgroup and systemd unit, CPU % of one core over a stated window (windowSec 0.2–10 forces a fresh measurement), RSS and swap bytes, threads, open fds vs the soft limit (fdUsedPct, assessed) and fds by type (socket, file, pipe, anon, other), voluntary/involuntary context switches, storage I/O bytes since start, OOM score and adjustment. With include (default all): limits (the rlimit table with units; null = unlimited), env (environment variable NAMES only — values are never returned), children (≤ 50), sockets (listening ports and sockets per state, from its own network namespace). A pid that does not exist is an error.',
  toolset: 'core',
  scope: 'hostlens:processes',
  input: z
    .object({
      pid: z.number().int().min(1).max(4_194_304).describe('process id'),
      include: z.array(z.enum(INCLUDE)).max(INCLUDE.length).optional().describe('optional parts: limits, fds, env, children, sockets (default all)'),
      windowSec: windowSecField,
    })
    .strict(),
  examples: [{ args: ({ serverPid }) => ({ pid: serverPid }), why: 'the server itself is a process that exists' }],
  data: processDetailSchema,
  async handler({ pid, include, windowSec }, { services, signal, progress }) {
    const r = await readProcessDetail(services, { pid, include: include ?? INCLUDE, ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    if ('missing' in r) {
      throw new ToolError(r.missing === 'gone' ? `no process with pid ${pid}` : `process ${pid} exited during the call or its proc/${pid}/stat could not be parsed`);
    }
    return { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments }) {
    return lines(
      `pid ${d.pid} ${d.comm ?? '?'} [${d.state ?? '?'}] user ${d.user ?? d.uid ?? '?'} ppid ${d.ppid ?? '?'} started ${d.startedAt ?? '?'}${d.unit ? ` unit ${d.unit}` : ''}`,
      d.cmdline && `cmd: ${d.cmdline.slice(0, 200)}`,
      `exe ${d.exe ?? '?'} cwd ${d.cwd ?? '?'} cgroup ${d.cgroup ?? '?'}`,
      `cpu ${fmtPct(d.cpuPct)} over ${windowSec ?? '?'} s; rss ${fmtBytes(d.rssBytes)} swap ${fmtBytes(d.swapBytes)}; threads ${d.threads ?? '?'}; oom score ${d.oomScore ?? '?'} (adj ${d.oomScoreAdj ?? '?'})`,
      `fds ${d.fdCount ?? '?'} of ${d.fdLimit ?? '∞'} (${fmtPct(d.fdUsedPct)})${d.fdsByType ? `: ${Object.entries(d.fdsByType).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`,
      d.io && `io: read ${fmtBytes(d.io.readBytes)}, written ${fmtBytes(d.io.writeBytes)}`,
      d.listeningPorts && `listening: ${d.listeningPorts.map((p) => `${p.proto} ${p.address}:${p.port}`).join(', ') || 'none'}`,
      d.children && `children (${d.childCount}): ${d.children.map((c) => `${c.comm}[${c.pid}]`).join(', ') || 'none'}`,
      d.envNames && `env names (${d.envCount}): ${d.envNames.join(' ')}`,
      renderAssessments(assessments),
    );
  },
});
