import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { historyDataSchema, readHistory } from '../diagnostics/history.js';
import { lines } from './common.js';

const timeField = (what: string) =>
  z.string().min(1).max(64).describe(`${what}: "now", relative like "-90s", "-15m", "-2h", "-1d", or RFC 3339 ("2026-01-31T13:45:00Z"); within the last 24 h`);

export const getHistory = defineTool({
  name: 'get_history',
  title: 'Metric history (built-in sampler)',
  description:
    'Time series of host metrics kept in memory by hostlens\'s 1 Hz sampler since it started: one point per second for the last 15 min, per-minute means (and maxima) for the last 24 h. Answers "when did it start?", "is it getting worse?", "what was it like before?". Call without `metrics` to list the valid names with units: cpu.busyPct/iowaitPct/stealPct, load.1, mem.availableBytes, mem.usedPct, swap.usedBytes, mem.majorFaultsPerSec, psi.{cpu.some,memory.some,memory.full,io.some,io.full} (stall % of each tick), tcp.retransPct, procs.running/blocked, disk.<dev>.{utilPct,readBytesPerSec,writeBytesPerSec}, net.<if>.{rx,tx}BytesPerSec, fs.<mount>.usedPct (≤ 16 devices/interfaces/mounts). Returns ≤ maxPoints bucket means per series ([time, value|null]; null = not sampled) and stats (min/avg/p95/max) over the stored points; coverage says what history exists (a recently started server has little). Use detect_anomalies to find WHICH metric changed.',
  toolset: 'history',
  input: z
    .object({
      metrics: z.array(z.string().min(1).max(200)).min(1).max(10).optional().describe('1–10 exact metric names; omit to list the available names'),
      since: timeField('start of the range (default "-15m")').optional(),
      until: timeField('end of the range (default now)').optional(),
      maxPoints: z.number().int().min(1).max(200).optional().describe('points per series at most (1–200, default 60); buckets are means'),
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
        return `${s.metric} [${s.unit}] step ${s.stepSec}s min ${s.stats.min ?? '?'} avg ${s.stats.avg ?? '?'} p95 ${s.stats.p95 ?? '?'} max ${s.stats.max ?? '?'} (n=${s.stats.count}): ${vals.join(' ')}`;
      }),
    );
  },
});
