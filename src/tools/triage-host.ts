import { z } from 'zod';
import { defineTool } from '../catalogue/types.js';
import { runTriage, triageDataSchema } from '../diagnostics/triage.js';
import { checkHost, fmtPct, hostField, lines, windowSecField } from './common.js';

export const triageHost = defineTool({
  name: 'triage_host',
  title: 'Triage the host',
  description:
    'One-call health sweep (USE method) of CPU, load, memory, filesystems and pressure (PSI): an overall status, a status and headline figures per area, findings ranked worst first, and the next tool calls worth making with their arguments. Start here when asked "what is wrong with this machine?". CPU figures are over the sampler\'s last ≈ 1 s window unless windowSec asks for a fresh measurement. The result also becomes diag://local/overview.',
  toolset: 'core',
  annotations: { idempotentHint: true },
  input: z.object({ host: hostField, windowSec: windowSecField }).strict(),
  data: triageDataSchema,
  async handler({ host, windowSec }, { services, signal, progress }) {
    checkHost(host);
    const r = await runTriage(services, { ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    const output = { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
    services.state.lastTriage = { collectedAt: new Date().toISOString(), result: output };
    return output;
  },
  render({ data: d, windowSec }) {
    const a = d.areas;
    return lines(
      `overall: ${d.overall.toUpperCase()} (CPU window ${windowSec ?? '?'} s)`,
      `cpu ${a.cpu.status}: busy ${fmtPct(a.cpu.busyPct)}, iowait ${fmtPct(a.cpu.iowaitPct)}, steal ${fmtPct(a.cpu.stealPct)}`,
      `load ${a.load.status}: load1 ${a.load.load1 ?? '?'} = ${a.load.loadPerCpu1 ?? '?'} per usable CPU (${a.load.effectiveCpus ?? '?'})`,
      `memory ${a.memory.status}: ${a.memory.availablePct ?? '?'}% available, swap ${a.memory.swapUsedPct ?? 'n/a'}% used, ${a.memory.oomKillsInWindow ?? '?'} OOM kills in window`,
      `filesystem ${a.filesystem.status}: fullest ${a.filesystem.fullestMount ?? '?'} at ${a.filesystem.fullestUsedPct ?? '?'}%`,
      `pressure ${a.pressure.status}: cpu some ${a.pressure.cpuSomeAvg10Pct ?? '?'}%, memory full ${a.pressure.memoryFullAvg10Pct ?? '?'}%, io full ${a.pressure.ioFullAvg10Pct ?? '?'}% (avg10)`,
      d.findings.length ? 'findings:' : 'findings: none',
      ...d.findings.map((f) => `${f.rank}. [${f.status}] ${f.message}`),
      'next:',
      ...d.nextSteps.map((s) => `- ${s.tool} ${JSON.stringify(s.args)}: ${s.why}`),
    );
  },
});
