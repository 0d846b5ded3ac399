/** Memory, swap activity and OOM kills; shared by get_memory and triage_host. */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { readCgroup } from '../collectors/cgroup.js';
import { readMemInfo, readVmStat } from '../collectors/memory.js';
import { assess } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { ifKnown } from '../util/missing.js';

const bytes = z.number().nullable();

export const memoryDataSchema = z.object({
  totalBytes: bytes,
  availableBytes: bytes,
  /** available as a share of total (or of the cgroup limit when that is tighter) */
  availablePct: z.number().nullable(),
  usedBytes: bytes,
  usedPct: z.number().nullable(),
  freeBytes: bytes,
  buffersBytes: bytes,
  cachedBytes: bytes,
  shmemBytes: bytes,
  slabReclaimableBytes: bytes,
  slabUnreclaimableBytes: bytes,
  dirtyBytes: bytes,
  committedBytes: bytes,
  commitLimitBytes: bytes,
  swapTotalBytes: bytes,
  swapUsedBytes: bytes,
  swapUsedPct: z.number().nullable(),
  /** pages swapped in per second over the sampler window */
  swapInPerSec: z.number().nullable(),
  swapOutPerSec: z.number().nullable(),
  majorFaultsPerSec: z.number().nullable(),
  oomKillsSinceBoot: z.number().nullable(),
  oomKillsInWindow: z.number().nullable(),
  cgroup: z
    .object({
      currentBytes: bytes,
      /** memory.max; null when unlimited */
      maxBytes: bytes,
      highBytes: bytes,
      usedPct: z.number().nullable(),
      oomKills: z.number().nullable(),
    })
    .nullable(),
});
export type MemoryData = z.infer<typeof memoryDataSchema>;

interface MemoryResult {
  data: MemoryData;
  windowSec: number | undefined;
  assessments: Assessment[];
  warnings: string[];
}

const pct = (part: number | null, whole: number | null): number | null =>
  part === null || whole === null || whole <= 0 ? null : Math.round((part / whole) * 1000) / 10;

export function readMemory(services: HostInputs): MemoryResult {
  const ctx = services.collectors;
  const mem = readMemInfo(ctx);
  const vm = readVmStat(ctx);
  const cg = readCgroup(ctx, 'self');
  const rates = services.sampler.latestRates();
  const limit = cg.memory.maxBytes;
  const hostAvailablePct = pct(mem.availableBytes, mem.totalBytes);
  let availablePct = hostAvailablePct;
  const cgroupUsedPct = limit !== null && cg.memory.currentBytes !== null ? pct(cg.memory.currentBytes, limit) : null;
  const evidence: string[] = [];
  if (cgroupUsedPct !== null && (availablePct === null || 100 - cgroupUsedPct < availablePct)) {
    // A cgroup can sit above its limit for a moment (and a damaged limit reads tiny): never below 0 % available.
    availablePct = Math.max(0, Math.round((100 - cgroupUsedPct) * 10) / 10);
    evidence.push(`cgroup ${cg.path ?? ''} uses ${cg.memory.currentBytes} of its ${limit}-byte limit`);
  }
  const swapUsedPct = mem.swapTotalBytes ? pct(mem.swapUsedBytes, mem.swapTotalBytes) : null;
  const data: MemoryData = {
    totalBytes: mem.totalBytes,
    availableBytes: mem.availableBytes,
    availablePct,
    usedBytes: mem.usedBytes,
    usedPct: mem.usedPct,
    freeBytes: mem.freeBytes,
    buffersBytes: mem.buffersBytes,
    cachedBytes: mem.cachedBytes,
    shmemBytes: mem.shmemBytes,
    slabReclaimableBytes: mem.slabReclaimableBytes,
    slabUnreclaimableBytes: mem.slabUnreclaimableBytes,
    dirtyBytes: mem.dirtyBytes,
    committedBytes: mem.committedBytes,
    commitLimitBytes: mem.commitLimitBytes,
    swapTotalBytes: mem.swapTotalBytes,
    swapUsedBytes: mem.swapUsedBytes,
    swapUsedPct,
    swapInPerSec: rates?.swapInPerSec ?? null,
    swapOutPerSec: rates?.swapOutPerSec ?? null,
    majorFaultsPerSec: rates?.majorFaultsPerSec ?? null,
    oomKillsSinceBoot: vm.oomKill,
    oomKillsInWindow: rates?.oomKillsInWindow ?? null,
    cgroup:
      cg.version === null
        ? null
        : {
            currentBytes: cg.memory.currentBytes,
            maxBytes: limit,
            highBytes: cg.memory.highBytes,
            usedPct: cgroupUsedPct,
            oomKills: cg.memory.events?.oomKill ?? null,
          },
  };
  const t = services.thresholds;
  const assessments: Assessment[] = [
    assess({ area: 'memory', code: 'memory.available_low', label: 'Available memory', value: availablePct, spec: t['memory.availablePct'], ...(evidence.length ? { evidence } : {}) }),
  ];
  if (mem.swapTotalBytes) {
    assessments.push(assess({ area: 'memory', code: 'memory.swap_used', label: 'Swap used', value: swapUsedPct, spec: t['swap.usedPct'] }));
  }
  if (data.oomKillsInWindow !== null && data.oomKillsInWindow > 0) {
    assessments.push({
      area: 'memory',
      status: 'critical',
      code: 'memory.oom_kill',
      message: `${data.oomKillsInWindow} OOM kill(s) in the last sampler window${ifKnown(data.oomKillsSinceBoot, (n) => ` (${n} since boot)`)}`,
      value: data.oomKillsInWindow,
      threshold: 1,
      unit: 'count',
    });
  }
  return { data, windowSec: rates?.windowSec, assessments, warnings: [...mem.warnings, ...vm.warnings, ...cg.warnings] };
}
