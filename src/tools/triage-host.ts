import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { runTriage, triageDataSchema } from '../diagnostics/triage.js';
import { fmtPct, lines, windowSecField } from './common.js';

const q = (v: number | string | null | undefined): string => (v === null || v === undefined ? '?' : String(v));

export const triageHost = defineTool({
  name: 'triage_host',
  title: 'Triage the host',
  description:
    'One-call health sweep (USE method) of CPU, load, memory (incl. OOM kills), disk I/O, filesystems, network, pressure (PSI, system and cgroups) and kernel limits (open files, pids, threads, ephemeral ports): an overall status, a status and headline figures per area (units in field names), findings ranked worst first, and the next tool calls worth making with their arguments (only tools this server serves). Start here when asked "what is wrong with this machine?". Rates (CPU, disk, network, swap, OOM kills in window, PSI stall in window) are over the sampler\'s last ≈ 1 s window unless windowSec (0.2–10) asks for a fresh measurement. The result also becomes diag://local/overview.',
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
      `overall: ${d.overall.toUpperCase()} (window ${windowSec ?? '?'} s)`,
      `cpu ${a.cpu.status}: busy ${fmtPct(a.cpu.busyPct)}, iowait ${fmtPct(a.cpu.iowaitPct)}, steal ${fmtPct(a.cpu.stealPct)}`,
      `load ${a.load.status}: load1 ${q(a.load.load1)} = ${q(a.load.loadPerCpu1)} per usable CPU (${q(a.load.effectiveCpus)})`,
      `memory ${a.memory.status}: ${fmtPct(a.memory.availablePct)} available, swap ${a.memory.swapUsedPct ?? 'n/a'}% used, OOM kills ${q(a.memory.oomKillsInWindow)} in window / ${q(a.memory.oomKillsSinceBoot)} since boot`,
      `disk ${a.disk.status}: busiest ${q(a.disk.busiestDevice)} at ${fmtPct(a.disk.busiestUtilPct)}, worst await ${q(a.disk.worstAwaitMs)} ms`,
      `filesystem ${a.filesystem.status}: fullest ${q(a.filesystem.fullestMount)} at ${fmtPct(a.filesystem.fullestUsedPct)}`,
      `network ${a.network.status}: drops ${q(a.network.worstDropsPerSec)}/s, errors ${q(a.network.worstErrorsPerSec)}/s, retrans ${fmtPct(a.network.retransPct)}, conntrack ${fmtPct(a.network.conntrackUsedPct)}`,
      `pressure ${a.pressure.status}: cpu some ${fmtPct(a.pressure.cpuSomeAvg10Pct)}, memory full ${fmtPct(a.pressure.memoryFullAvg10Pct)}, io full ${fmtPct(a.pressure.ioFullAvg10Pct)} (avg10)${a.pressure.worstCgroup ? `, worst cgroup ${a.pressure.worstCgroup}` : ''}`,
      `limits ${a.limits.status}: fds ${fmtPct(a.limits.fdsUsedPct)}, pids ${fmtPct(a.limits.pidsUsedPct)}, threads ${fmtPct(a.limits.threadsUsedPct)}, ephemeral ports ≤ ${fmtPct(a.limits.ephemeralPortsUsedPct)}`,
      d.findings.length ? 'findings:' : 'findings: none',
      ...d.findings.map((f) => `${f.rank}. [${f.status}] ${f.message}`),
      'next:',
      ...d.nextSteps.map((s) => `- ${s.tool} ${JSON.stringify(s.args)}: ${s.why}`),
    );
  },
});
