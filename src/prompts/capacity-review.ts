import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';
import { playbookText } from './playbook.js';

const DEFAULT_HORIZON_DAYS = 30;

export const capacityReviewPrompt = definePrompt({
  name: 'capacity_review',
  title: 'Capacity review',
  description: 'Will this host still fit its load in N days? Filesystem growth and ETA to full, memory headroom, file-descriptor, pid/thread, conntrack and port headroom (get_limits), CPU headroom — a table of resources with current use, growth and days left vs the horizon.',
  args: z.object({
    horizonDays: z
      .string()
      .regex(/^\d{1,3}$/, 'horizonDays must be a whole number of days from 1 to 365')
      .refine((v) => Number(v) >= 1 && Number(v) <= 365, 'horizonDays must be a whole number of days from 1 to 365')
      .optional()
      .describe(`planning horizon in days, 1–365 (default ${DEFAULT_HORIZON_DAYS})`),
  }),
  completeFrom: { horizonDays: null },
  complete: { horizonDays: (value) => ['7', '30', '90', '180', '365'].filter((d) => d.startsWith(value)) },
  build: ({ horizonDays }) => {
    const days = horizonDays === undefined ? DEFAULT_HORIZON_DAYS : Number(horizonDays);
    return [
      {
        role: 'user',
        text: playbookText({
          goal: `Review whether this host has the capacity for the next ${days} days, using the hostlens tools.`,
          runbook: 'disk-full',
          steps: [
            'capture_snapshot with label "capacity: t0" (the baseline for growth).',
            'get_filesystems: per mount usedPct, usedBytes, availBytes and inodesUsedPct. Growth: compare with an earlier snapshot (diff_snapshots, history toolset, if enabled: a = older, b = newer; filesystems.<mount>.usedBytes delta / elapsedSec = bytes/s, ETA days = availBytes / (bytes/s × 86400)), or get_history (if enabled) for fs.<mount>.usedPct over up to 24 h (ETA days = (100 − usedPct) / points per day); say how long the growth window was; flag every mount whose ETA is within the horizon or whose usedPct is ≥ 85% (warning).',
            'get_memory: availableBytes and availablePct (warning ≤ 10%), swapUsedPct, committedBytes vs commitLimitBytes, cgroup.usedPct when a cgroup limit applies; the peak matters more than the average — use get_history (if enabled) for mem.availableBytes minima.',
            'get_limits: fds.usedPct, threads.usedPct, pids, cgroupPids, conntrack.usedPct and ephemeralPorts.usedPct (warning 80%, critical 95%), and topFdProcesses (fdCount vs fdLimit) — the limits that fail abruptly.',
            'get_cpu with windowSec 5: busyPct and loadPerCpu1 against effectiveCpus; get_pressure for cpu/memory/io avg60Pct and avg300Pct as a longer-term view.',
            'get_system_info: logical and effective CPUs, memoryTotalBytes and effectiveMemoryLimitBytes — the capacity the figures are measured against.',
          ],
          conclude: `Conclude with a table: resource, current use (with units), growth per day (or "unknown" with why), days left, and whether it runs out within ${days} days; then the actions to take before the horizon, most urgent first. Also read diag://runbooks/memory-pressure for memory headroom.`,
        }),
      },
    ];
  },
});
