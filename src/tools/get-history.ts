import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { historyDataSchema, readHistory } from '../diagnostics/history.js';
import { lines } from './common.js';
import { show } from '../util/missing.js';

const timeField = (what: string) =>
  z.string().min(1).max(64).describe(`${what}: "now", "-90s", "-2h" or RFC 3339; within the last 24 h`);

export const getHistory = defineTool({
  name: 'get_history',
  title: 'Metric history (built-in sampler)',
  description:
    'Time series of host metrics from hostlens\'s 1 Hz sampler, in memory since it started: one point per second for the last 15 min, per-minute means (and maxima) for the last 24 h. Answers "when did it start?", "is it getting worse?", "what was it like before?". Without metrics, the valid names with units: cpu.busyPct/iowaitPct/stealPct, load.1, mem.availableBytes, mem.usedPct, swap.usedBytes, mem.majorFaultsPerSec, psi.{cpu.some,memory.some,memory.full,io.some,io.full} (stall % of each tick), tcp.retransPct, procs.running/blocked, disk.<dev>.{utilPct,readBytesPerSec,writeBytesPerSec}, net.<if>.{rx,tx}BytesPerSec, fs.<mount>.usedPct (≤ 16 devices/interfaces/mounts). Per series ≤ maxPoints bucket means ([time, value|null]; null = not sampled) and stats (min/avg/p95/max); coverage says what history exists (a recently started server has little). Use detect_anomalies to find WHICH metric changed.',
  toolset: 'history',
  input: z
    .object({
      metrics: z.array(z.string().min(1).max(200)).min(1).max(10).optional().describe('exact metric names; omit to list them'),
      since: timeField('start of the range (default "-15m")').optional(),
      until: timeField('end of the range (default now)').optional(),
      maxPoints: z.number().int().min(1).max(200).optional().describe('default 60; buckets are means'),
    })
    .strict(),
  data: historyDataSchema,
  async handler(q, { services }) {
    const r = readHistory(services, q);
    return { data: r.data, warnings: r.warnings };
  },
  render({ data: d }) {
    if (d.available) return lines(`${d.available.length} metrics (coverage ${d.coverage.from ?? '-'} → ${d.coverage.to ?? '-'}):`, d.available.map((m) => `${m.metric} [${m.unit}]`).join(', '));
    return lines(
      `history ${d.requested.from} → ${d.requested.to} (${d.coverage.resolution} ring, stored ${d.coverage.from ?? '-'} → ${d.coverage.to ?? '-'})`,
      ...d.series.map((s) => {
        const vals = s.points.map((p) => (p[1] === null ? '·' : String(p[1])));
        return `${s.metric} [${s.unit}] step ${s.stepSec}s min ${show(s.stats.min)} avg ${show(s.stats.avg)} p95 ${show(s.stats.p95)} max ${show(s.stats.max)} (n=${s.stats.count}): ${vals.join(' ')}`;
      }),
    );
  },
});
