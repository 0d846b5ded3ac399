import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { cpuDataSchema, readCpu } from '../diagnostics/cpu.js';
import { fmtPct, lines, renderAssessments, windowSecField } from './common.js';
import { ifKnown, show } from '../util/missing.js';

export const getCpu = defineTool({
  name: 'get_cpu',
  title: 'CPU utilisation',
  description:
    'CPU breakdown in % of total CPU over the window (user, system, iowait, irq, softirq, steal, idle; busy = 100 − idle − iowait), load averages and load per usable CPU, run queue, blocked tasks, context switches and interrupts per second, cgroup CPU quota and throttling.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      perCore: z.boolean().optional().describe('add a per-CPU breakdown (default false)'),
    })
    .strict(),
  data: cpuDataSchema,
  async handler({ windowSec, perCore }, { services, signal, progress }) {
    const r = await readCpu(services, { ...(windowSec !== undefined ? { windowSec } : {}), perCore: perCore ?? false, signal, progress });
    return { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments }) {
    const hot = d.perCore ? [...d.perCore].sort((a, b) => b.busyPct - a.busyPct).slice(0, 4) : [];
    return lines(
      `CPU${ifKnown(windowSec, (w) => ` over ${w} s`)} (${d.source}): busy ${fmtPct(d.busyPct)} = user ${fmtPct(d.userPct)} + nice ${fmtPct(d.nicePct)} + system ${fmtPct(d.systemPct)} + irq ${fmtPct(d.irqPct)} + softirq ${fmtPct(d.softirqPct)} + steal ${fmtPct(d.stealPct)}; iowait ${fmtPct(d.iowaitPct)}, idle ${fmtPct(d.idlePct)}`,
      `load ${show(d.load1)} / ${show(d.load5)} / ${show(d.load15)}${ifKnown(d.effectiveCpus, (n) => ` on ${n} usable CPUs`)}${ifKnown(d.logicalCpus, (n) => ` (${n} logical)`)}${ifKnown(d.loadPerCpu1, (l) => ` → ${l} per CPU`)}; run queue ${show(d.runQueueCount)}, blocked ${show(d.blockedCount)}`,
      `context switches ${show(d.ctxSwitchesPerSec, '/s')}, interrupts ${show(d.interruptsPerSec, '/s')}` +
        (d.cgroupCpuQuotaCores !== null ? `; cgroup quota ${d.cgroupCpuQuotaCores} cores, throttled ${fmtPct(d.cgroupThrottledPct)} of periods` : ''),
      hot.length ? `busiest cores: ${hot.map((c) => `cpu${c.cpu} ${c.busyPct}%`).join(', ')}` : '',
      renderAssessments(assessments),
    );
  },
});
