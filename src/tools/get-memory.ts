import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { memoryDataSchema, readMemory } from '../diagnostics/memory.js';
import { fmtBytes, lines, renderAssessments, fmtPct } from './common.js';
import { ifKnown, show } from '../util/missing.js';

export const getMemory = defineTool({
  name: 'get_memory',
  title: 'Memory and swap',
  description:
    'Memory in bytes: total, available (MemAvailable: usable without swapping), used, page cache, buffers, shmem, slab, dirty, committed vs commit limit; swap used, swap-in/out pages per second, major faults per second, OOM kills (since boot and in the window); this process\'s cgroup usage vs its memory limit. availablePct already accounts for a tighter cgroup limit.',
  toolset: 'core',
  input: z.object({}).strict(),
  data: memoryDataSchema,
  async handler(_args, { services }) {
    const r = readMemory(services);
    return { data: r.data, ...(r.windowSec !== undefined ? { windowSec: r.windowSec } : {}), assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments }) {
    return lines(
      `memory: ${fmtBytes(d.availableBytes)} available of ${fmtBytes(d.totalBytes)}${ifKnown(d.availablePct, (p) => ` (${p}% available)`)}; cache ${fmtBytes(d.cachedBytes)}, buffers ${fmtBytes(d.buffersBytes)}, shmem ${fmtBytes(d.shmemBytes)}, slab ${fmtBytes(d.slabReclaimableBytes === null && d.slabUnreclaimableBytes === null ? null : (d.slabReclaimableBytes ?? 0) + (d.slabUnreclaimableBytes ?? 0))}, dirty ${fmtBytes(d.dirtyBytes)}`,
      `committed ${fmtBytes(d.committedBytes)} of limit ${fmtBytes(d.commitLimitBytes)}; swap ${fmtBytes(d.swapUsedBytes)} used of ${fmtBytes(d.swapTotalBytes)}`,
      `${ifKnown(windowSec, (w) => `over the last ${w} s: `)}swap in ${show(d.swapInPerSec, ' pages/s')}, out ${show(d.swapOutPerSec, ' pages/s')}; major faults ${show(d.majorFaultsPerSec, '/s')}; OOM kills ${show(d.oomKillsInWindow)} (${show(d.oomKillsSinceBoot)} since boot)`,
      d.cgroup && d.cgroup.maxBytes !== null ? `cgroup: ${fmtBytes(d.cgroup.currentBytes)} of ${fmtBytes(d.cgroup.maxBytes)} (${fmtPct(d.cgroup.usedPct)}), ${d.cgroup.oomKills ?? 0} OOM kills` : '',
      renderAssessments(assessments),
    );
  },
});
