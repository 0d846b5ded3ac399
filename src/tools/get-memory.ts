import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { memoryDataSchema, readMemory } from '../diagnostics/memory.js';
import { fmtBytes, lines, renderAssessments } from './common.js';

export const getMemory = defineTool({
  name: 'get_memory',
  title: 'Memory and swap',
  description:
    'Memory of the host in bytes: total, available (MemAvailable, what can be used without swapping), used, page cache, buffers, shmem, slab, dirty, committed vs commit limit; swap used and swap-in/out pages per second, major faults per second and OOM kills (since boot and in the last sampler window, ≈ 1 s); plus this process\'s cgroup usage against its memory limit. availablePct already accounts for a tighter cgroup limit.',
  toolset: 'core',
  input: z.object({}).strict(),
  data: memoryDataSchema,
  async handler(_args, { services }) {
    const r = readMemory(services);
    return { data: r.data, ...(r.windowSec !== undefined ? { windowSec: r.windowSec } : {}), assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments }) {
    return lines(
      `memory: ${fmtBytes(d.availableBytes)} available of ${fmtBytes(d.totalBytes)} (${d.availablePct ?? '?'}% available); cache ${fmtBytes(d.cachedBytes)}, buffers ${fmtBytes(d.buffersBytes)}, shmem ${fmtBytes(d.shmemBytes)}, slab ${fmtBytes((d.slabReclaimableBytes ?? 0) + (d.slabUnreclaimableBytes ?? 0))}, dirty ${fmtBytes(d.dirtyBytes)}`,
      `committed ${fmtBytes(d.committedBytes)} of limit ${fmtBytes(d.commitLimitBytes)}; swap ${fmtBytes(d.swapUsedBytes)} used of ${fmtBytes(d.swapTotalBytes)}`,
      `over the last ${windowSec ?? '?'} s: swap in ${d.swapInPerSec ?? '?'} / out ${d.swapOutPerSec ?? '?'} pages/s, ${d.majorFaultsPerSec ?? '?'} major faults/s, ${d.oomKillsInWindow ?? '?'} OOM kills (${d.oomKillsSinceBoot ?? '?'} since boot)`,
      d.cgroup && d.cgroup.maxBytes !== null ? `cgroup: ${fmtBytes(d.cgroup.currentBytes)} of ${fmtBytes(d.cgroup.maxBytes)} (${d.cgroup.usedPct ?? '?'}%), ${d.cgroup.oomKills ?? 0} OOM kills` : '',
      renderAssessments(assessments),
    );
  },
});
