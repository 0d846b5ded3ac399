import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { cpuDataSchema, readCpu } from '../diagnostics/cpu.js';
import { fmtPct, lines, renderAssessments, windowSecField } from './common.js';

export const getCpu = defineTool({
  name: 'get_cpu',
  title: 'CPU utilisation',
  description:
    'CPU utilisation breakdown over a stated window (user, system, iowait, irq, softirq, steal, idle, busy = 100 − idle − iowait; all in % of total CPU), load averages and load per usable CPU, run queue, blocked tasks, context switches and interrupts per second, cgroup CPU quota and throttling. Without windowSec the answer comes instantly from the 1 Hz background sampler (windowSec ≈ 1 in the result); with windowSec (0.2–10 s) it takes a fresh measurement and reports progress. Never a since-boot average. Set perCore for a per-CPU breakdown.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      perCore: z.boolean().optional().describe('include a per-CPU breakdown (default false)'),
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
      `CPU over ${windowSec ?? '?'} s (${d.source}): busy ${fmtPct(d.busyPct)} = user ${fmtPct(d.userPct)} + nice ${fmtPct(d.nicePct)} + system ${fmtPct(d.systemPct)} + irq ${fmtPct(d.irqPct)} + softirq ${fmtPct(d.softirqPct)} + steal ${fmtPct(d.stealPct)}; iowait ${fmtPct(d.iowaitPct)}, idle ${fmtPct(d.idlePct)}`,
      `load ${d.load1 ?? '?'} / ${d.load5 ?? '?'} / ${d.load15 ?? '?'} on ${d.effectiveCpus ?? '?'} usable CPUs (${d.logicalCpus ?? '?'} logical) → ${d.loadPerCpu1 ?? '?'} per CPU; run queue ${d.runQueueCount ?? '?'}, blocked ${d.blockedCount ?? '?'}`,
      `${d.ctxSwitchesPerSec ?? '?'} context switches/s, ${d.interruptsPerSec ?? '?'} interrupts/s` +
        (d.cgroupCpuQuotaCores !== null ? `; cgroup quota ${d.cgroupCpuQuotaCores} cores, throttled ${d.cgroupThrottledPct ?? '?'}% of periods` : ''),
      hot.length ? `busiest cores: ${hot.map((c) => `cpu${c.cpu} ${c.busyPct}%`).join(', ')}` : '',
      renderAssessments(assessments),
    );
  },
});
