import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { INCLUDE, processDetailSchema, readProcessDetail } from '../diagnostics/process.js';
import { fmtBytes, fmtPct, lines, renderAssessments, windowSecField } from './common.js';
import { ifKnown, show } from '../util/missing.js';

export const getProcess = defineTool({
  name: 'get_process',
  title: 'One process in depth',
  description:
    'One PID in depth (find it with top_processes or list_sockets): state, comm, command line (secrets redacted, clipped), exe, cwd, user/uid, parent, start time, cgroup and systemd unit, CPU % of one core over the window, RSS and swap bytes, threads, open fds vs the soft limit (fdUsedPct, assessed) and by type, context switches, storage I/O bytes since start, OOM score and adjustment. include (default all): limits (rlimit table with units; null = unlimited), env (variable NAMES only, never values), children (≤ 50), sockets (listening ports and sockets per state, from its own network namespace). An unknown pid is an error.',
  toolset: 'core',
  scope: 'hostlens:processes',
  input: z
    .object({
      pid: z.number().int().min(1).max(4_194_304).describe('process id'),
      include: z.array(z.enum(INCLUDE)).max(INCLUDE.length).optional().describe('default all'),
      windowSec: windowSecField,
    })
    .strict(),
  examples: [{ args: ({ serverPid }) => ({ pid: serverPid }), why: 'the server itself is a process that exists' }],
  data: processDetailSchema,
  async handler({ pid, include, windowSec }, { services, signal, progress }) {
    const r = await readProcessDetail(services, { pid, include: include ?? INCLUDE, ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    if ('missing' in r) {
      throw new HostlensError('not_found', r.missing === 'gone' ? `no process with pid ${pid}` : `process ${pid} exited during the call or its proc/${pid}/stat could not be parsed`);
    }
    return { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments }) {
    return lines(
      `pid ${d.pid}${ifKnown(d.comm, (c) => ` ${c}`)}${ifKnown(d.state, (s) => ` [${s}]`)} user ${show(d.user ?? d.uid)} ppid ${show(d.ppid)} started ${show(d.startedAt)}${d.unit ? ` unit ${d.unit}` : ''}`,
      d.cmdline && `cmd: ${d.cmdline.slice(0, 200)}`,
      `exe ${show(d.exe)} cwd ${show(d.cwd)} cgroup ${show(d.cgroup)}`,
      `cpu ${fmtPct(d.cpuPct)}${ifKnown(windowSec, (w) => ` over ${w} s`)}; rss ${fmtBytes(d.rssBytes)} swap ${fmtBytes(d.swapBytes)}; threads ${show(d.threads)}; oom score ${show(d.oomScore)} (adj ${show(d.oomScoreAdj)})`,
      `fds ${show(d.fdCount)} of ${d.fdLimit ?? '∞'} (${fmtPct(d.fdUsedPct)})${d.fdsByType ? `: ${Object.entries(d.fdsByType).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`,
      d.io && `io: read ${fmtBytes(d.io.readBytes)}, written ${fmtBytes(d.io.writeBytes)}`,
      d.listeningPorts && `listening: ${d.listeningPorts.map((p) => `${p.proto} ${p.address}:${p.port}`).join(', ') || 'none'}`,
      d.children && `children${ifKnown(d.childCount, (n) => ` (${n})`)}: ${d.children.map((c) => `${c.comm}[${c.pid}]`).join(', ') || 'none'}`,
      d.envNames && `env names${ifKnown(d.envCount, (n) => ` (${n})`)}: ${d.envNames.join(' ')}`,
      renderAssessments(assessments),
    );
  },
});
