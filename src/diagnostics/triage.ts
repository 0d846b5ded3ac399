/**
 * triage_host: one USE-method sweep over cpu, load, memory, filesystems and
 * pressure, with ranked findings and the next tool calls worth making.
 * The result is remembered for diag://local/overview.
 */
import { z } from 'zod';
import type { Services } from '../catalogue/services.js';
import { statusRank, STATUSES, worstStatus } from './assessment.js';
import type { Assessment, Status } from './assessment.js';
import { readCpu } from './cpu.js';
import { readFilesystemHealth } from './filesystems.js';
import { readMemory } from './memory.js';
import { readPressureHealth } from './pressure.js';

const status = z.enum(STATUSES);

export const triageDataSchema = z.object({
  overall: status,
  areas: z.object({
    cpu: z.object({ status, busyPct: z.number().nullable(), iowaitPct: z.number().nullable(), stealPct: z.number().nullable() }),
    load: z.object({ status, load1: z.number().nullable(), loadPerCpu1: z.number().nullable(), effectiveCpus: z.number().nullable() }),
    memory: z.object({ status, availablePct: z.number().nullable(), availableBytes: z.number().nullable(), swapUsedPct: z.number().nullable(), oomKillsInWindow: z.number().nullable() }),
    filesystem: z.object({ status, fullestMount: z.string().nullable(), fullestUsedPct: z.number().nullable() }),
    pressure: z.object({ status, cpuSomeAvg10Pct: z.number().nullable(), memoryFullAvg10Pct: z.number().nullable(), ioFullAvg10Pct: z.number().nullable() }),
  }),
  findings: z
    .array(z.object({ rank: z.number().int(), area: z.string(), status, code: z.string(), message: z.string() }))
    .describe('non-ok assessments, worst first'),
  nextSteps: z.array(z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()), why: z.string() })),
});
export type TriageData = z.infer<typeof triageDataSchema>;

export interface TriageResult {
  data: TriageData;
  windowSec: number;
  assessments: Assessment[];
  warnings: string[];
}

/** How far past its threshold a value is, relative to the threshold: orders findings of equal status. */
function severity(a: Assessment): number {
  if (a.value === null || a.threshold === null || a.threshold === 0) return 0;
  return Math.abs(a.value - a.threshold) / Math.abs(a.threshold);
}

function rankFindings(assessments: Assessment[]): Assessment[] {
  return assessments
    .filter((a) => a.status === 'warning' || a.status === 'critical')
    .sort((a, b) => statusRank(b.status) - statusRank(a.status) || severity(b) - severity(a));
}

function suggest(findings: Assessment[], fullestMount: string | null): TriageData['nextSteps'] {
  const steps: TriageData['nextSteps'] = [];
  const seen = new Set<string>();
  const add = (tool: string, args: Record<string, unknown>, why: string): void => {
    const key = `${tool} ${JSON.stringify(args)}`;
    if (seen.has(key)) return;
    seen.add(key);
    steps.push({ tool, args, why });
  };
  for (const f of findings) {
    switch (f.code) {
      case 'cpu.busy':
      case 'load.per_cpu':
      case 'pressure.cpu':
        add('top_processes', { sortBy: 'cpu', limit: 10, windowSec: 2 }, 'find who is using the CPU over a fresh 2 s window');
        add('get_cpu', { windowSec: 2, perCore: true }, 'see whether the load is spread or pinned to a few cores');
        break;
      case 'cpu.iowait':
      case 'pressure.io':
        add('top_processes', { sortBy: 'cpu', limit: 10 }, 'tasks in state D (blocked) point at the processes waiting on I/O');
        break;
      case 'cpu.steal':
        add('get_cpu', { windowSec: 5 }, 'confirm sustained steal: the hypervisor is short of CPU for this guest');
        break;
      case 'memory.available_low':
      case 'memory.swap_used':
      case 'memory.oom_kill':
      case 'pressure.memory':
        add('top_processes', { sortBy: 'memory', limit: 10 }, 'find the largest resident processes');
        add('get_memory', {}, 'break memory down (cache, slab, shmem, swap activity, cgroup limit)');
        break;
      case 'filesystem.space':
      case 'filesystem.inodes':
        add('get_filesystems', fullestMount ? { mount: fullestMount } : {}, 'check capacity and inodes of the fullest filesystem');
        break;
    }
  }
  if (steps.length === 0) {
    add('get_cpu', { windowSec: 5 }, 'nothing crossed a threshold; re-measure CPU over a longer window if the symptom is intermittent');
    add('top_processes', { sortBy: 'cpu', limit: 5 }, 'see the busiest processes anyway');
  }
  return steps.slice(0, 6);
}

export interface TriageOptions {
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
}

export async function runTriage(services: Services, options: TriageOptions = {}): Promise<TriageResult> {
  const cpu = await readCpu(services, options);
  const memory = readMemory(services);
  const fs = readFilesystemHealth(services);
  const pressure = readPressureHealth(services);

  const byArea = (area: string, list: Assessment[]): Status => worstStatus(list.filter((a) => a.area === area).map((a) => a.status));
  const fullest = fs.data.mounts
    .filter((m) => !m.readOnly && m.usedPct !== null)
    .sort((a, b) => (b.usedPct ?? 0) - (a.usedPct ?? 0))[0];
  const assessments = [...cpu.assessments, ...memory.assessments, ...fs.assessments, ...pressure.assessments];
  const findings = rankFindings(assessments);
  const data: TriageData = {
    overall: worstStatus(assessments.map((a) => a.status)),
    areas: {
      cpu: { status: byArea('cpu', cpu.assessments), busyPct: cpu.data.busyPct, iowaitPct: cpu.data.iowaitPct, stealPct: cpu.data.stealPct },
      load: { status: byArea('load', cpu.assessments), load1: cpu.data.load1, loadPerCpu1: cpu.data.loadPerCpu1, effectiveCpus: cpu.data.effectiveCpus },
      memory: {
        status: byArea('memory', memory.assessments),
        availablePct: memory.data.availablePct,
        availableBytes: memory.data.availableBytes,
        swapUsedPct: memory.data.swapUsedPct,
        oomKillsInWindow: memory.data.oomKillsInWindow,
      },
      filesystem: { status: byArea('filesystem', fs.assessments), fullestMount: fullest?.mount ?? null, fullestUsedPct: fullest?.usedPct ?? null },
      pressure: {
        status: byArea('pressure', pressure.assessments),
        cpuSomeAvg10Pct: pressure.data.cpuSomeAvg10Pct,
        memoryFullAvg10Pct: pressure.data.memoryFullAvg10Pct,
        ioFullAvg10Pct: pressure.data.ioFullAvg10Pct,
      },
    },
    findings: findings.map((f, i) => ({ rank: i + 1, area: f.area, status: f.status, code: f.code, message: f.message })),
    nextSteps: suggest(findings, fullest?.mount ?? null),
  };
  return { data, windowSec: cpu.windowSec, assessments, warnings: [...cpu.warnings, ...memory.warnings, ...fs.warnings, ...pressure.warnings] };
}
