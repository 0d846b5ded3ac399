import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { runTriage, triageDataSchema } from '../diagnostics/triage.js';
import { fmtPct, lines, windowSecField } from './common.js';
import { ifKnown, show } from '../util/missing.js';

export const triageHost = defineTool({
  name: 'triage_host',
  title: 'Triage the host',
  description:
    'One-call health sweep (USE method) of CPU, load, memory (incl. OOM kills), disk I/O, filesystems, network, pressure (PSI, system and cgroups) and kernel limits (open files, pids, threads, ephemeral ports): overall status, per-area status and headline figures, findings ranked worst first, and the next tool calls worth making with their arguments (only tools this server serves). Start here when asked "what is wrong with this machine?". The result also becomes diag://local/overview.',
  toolset: 'core',
  annotations: { idempotentHint: true },
  input: z.object({ windowSec: windowSecField }).strict(),
  data: triageDataSchema,
  // A suggested call is only worth showing to a reader that may make it.
  scopedParts: [{ path: 'nextSteps[]', from: (step) => (step as { tool: string }).tool }],
  async handler({ windowSec }, { services, signal, progress, served }) {
    const r = await runTriage(services, { ...(windowSec !== undefined ? { windowSec } : {}), signal, progress, servedTools: served });
    const output = { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
    services.state.lastTriage = { collectedAt: new Date().toISOString(), result: output };
    return output;
  },
  render({ data: d, windowSec }) {
    const a = d.areas;
    return lines(
      `overall: ${d.overall.toUpperCase()}${ifKnown(windowSec, (w) => ` (window ${w} s)`)}`,
      `cpu ${a.cpu.status}: busy ${fmtPct(a.cpu.busyPct)}, iowait ${fmtPct(a.cpu.iowaitPct)}, steal ${fmtPct(a.cpu.stealPct)}`,
      `load ${a.load.status}: load1 ${show(a.load.load1)}${ifKnown(a.load.loadPerCpu1, (l) => ` = ${l} per usable CPU`)}${ifKnown(a.load.effectiveCpus, (n) => ` (${n} usable CPUs)`)}`,
      `memory ${a.memory.status}: ${fmtPct(a.memory.availablePct)} available, swap ${fmtPct(a.memory.swapUsedPct)} used, OOM kills ${show(a.memory.oomKillsInWindow)} in window / ${show(a.memory.oomKillsSinceBoot)} since boot`,
      `disk ${a.disk.status}: busiest ${show(a.disk.busiestDevice)}${ifKnown(a.disk.busiestUtilPct, (u) => ` at ${u}%`)}${ifKnown(a.disk.worstAwaitMs, (ms) => `, worst await ${ms} ms`)}`,
      `filesystem ${a.filesystem.status}: fullest ${show(a.filesystem.fullestMount)}${ifKnown(a.filesystem.fullestUsedPct, (u) => ` at ${u}%`)}`,
      `network ${a.network.status}: drops ${show(a.network.worstDropsPerSec, '/s')}, errors ${show(a.network.worstErrorsPerSec, '/s')}, retrans ${fmtPct(a.network.retransPct)}, conntrack ${fmtPct(a.network.conntrackUsedPct)}`,
      `pressure ${a.pressure.status}: cpu some ${fmtPct(a.pressure.cpuSomeAvg10Pct)}, memory full ${fmtPct(a.pressure.memoryFullAvg10Pct)}, io full ${fmtPct(a.pressure.ioFullAvg10Pct)} (avg10)${a.pressure.worstCgroup ? `, worst cgroup ${a.pressure.worstCgroup}` : ''}`,
      `limits ${a.limits.status}: fds ${fmtPct(a.limits.fdsUsedPct)}, pids ${fmtPct(a.limits.pidsUsedPct)}, threads ${fmtPct(a.limits.threadsUsedPct)}, ephemeral ports ${show(a.limits.ephemeralPortsUsedPct, (p) => `≤ ${p}%`)}`,
      d.findings.length ? 'findings:' : 'findings: none',
      ...d.findings.map((f) => `${f.rank}. [${f.status}] ${f.message}`),
      'next:',
      ...d.nextSteps.map((s) => `- ${s.tool} ${JSON.stringify(s.args)}: ${s.why}`),
    );
  },
});
