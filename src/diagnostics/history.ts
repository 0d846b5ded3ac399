/**
 * get_history: series from the sampler's history rings (collectors/history.ts), time ranges given as RFC 3339 or
 * relative ("-15m"), bucket-mean downsampling to ≤ maxPoints, and stats over the stored points.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { HostlensError } from '../contracts/errors.js';
import { describeMetric } from '../collectors/history.js';
import { parseTime } from '../util/time-arg.js';
import type { MetricHistory, Resolution, SeriesData } from '../collectors/history.js';

export const MAX_RANGE_MS = 24 * 3600_000;
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** since/until → a range within the last 24 h; until defaults to untilMs (now) and is clamped to now. */
export function resolveRange(since: string, until: string | undefined, nowMs: number, what = '', untilMs = nowMs): TimeRange {
  const fromMs = parseTime(since, nowMs, `${what}since`);
  const toMs = Math.min(nowMs, until === undefined ? untilMs : parseTime(until, nowMs, `${what}until`));
  if (fromMs < nowMs - MAX_RANGE_MS - 1000) throw new HostlensError('invalid_argument', `${what}since is more than 24 h ago: the history keeps 24 h (1 min resolution)`);
  if (toMs <= fromMs) throw new HostlensError('invalid_argument', `${what}until must be after ${what}since (and since in the past)`);
  return { fromMs, toMs };
}

/** The 1 s ring when the whole range lies within its span (points1s × tick before now), else the 1 min ring. */
export function pickResolution(history: MetricHistory, fromMs: number, nowMs: number): Resolution {
  return fromMs >= nowMs - history.points1s * history.tickMs ? '1s' : '1m';
}

/** Start of the range floored to its resolution (a second, a minute), so the first point is a whole bucket. */
export function alignRange(r: TimeRange, resolution: Resolution): TimeRange {
  const unit = resolution === '1s' ? 1000 : 60_000;
  return { fromMs: Math.floor(r.fromMs / unit) * unit, toMs: r.toMs };
}

interface SeriesStats {
  min: number | null;
  avg: number | null;
  p95: number | null;
  max: number | null;
  count: number;
}

/** p-quantile (0–1) by the nearest-rank method over an ascending array. */
function quantileSorted(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Finite values of a series, ascending. */
export function finiteSorted(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** min/avg/p95/max over the stored points (NaN skipped); max uses the per-minute maxima when given. */
export function seriesStats(values: readonly number[], maxValues?: readonly number[]): SeriesStats {
  const sorted = finiteSorted(values);
  if (sorted.length === 0) return { min: null, avg: null, p95: null, max: null, count: 0 };
  const maxima = maxValues ? finiteSorted(maxValues) : [];
  const max = Math.max(sorted.at(-1)!, maxima.at(-1) ?? -Infinity);
  return { min: sorted[0]!, avg: sorted.reduce((a, b) => a + b, 0) / sorted.length, p95: quantileSorted(sorted, 0.95), max, count: sorted.length };
}

/** Rounds for output: bytes to integers, % to 0.01, everything else to 0.001. */
export function roundValue(v: number | null, unit: string): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  if (unit === 'bytes' || unit === 'bytes/s') return Math.round(v);
  const f = unit === '%' ? 100 : 1000;
  return Math.round(v * f) / f;
}

export function isoSec(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

interface Downsampled {
  stepSec: number;
  points: Array<[string, number | null]>;
}

/**
 * Bucket means of a series over [fromMs, toMs]: buckets of the smallest multiple of the ring's step that gives
 * ≤ maxPoints buckets, aligned to fromMs (a point at exactly toMs joins the last bucket); a bucket without a finite
 * value is null.
 */
export function downsample(s: SeriesData, fromMs: number, toMs: number, stepSec: number, maxPoints: number, unit: string): Downsampled {
  const rangeSec = Math.max(0, (toMs - fromMs) / 1000);
  const bucketSec = Math.max(1, Math.ceil(rangeSec / maxPoints / stepSec)) * stepSec;
  const n = Math.min(maxPoints, Math.max(1, Math.ceil(rangeSec / bucketSec)));
  const sum = new Float64Array(n);
  const cnt = new Uint32Array(n);
  for (let i = 0; i < s.times.length; i++) {
    const v = s.values[i]!;
    if (!Number.isFinite(v)) continue;
    const b = Math.min(n - 1, Math.floor((s.times[i]! - fromMs) / 1000 / bucketSec));
    if (b < 0) continue;
    sum[b] = sum[b]! + v;
    cnt[b] = cnt[b]! + 1;
  }
  const points: Array<[string, number | null]> = [];
  for (let b = 0; b < n; b++) points.push([isoSec(fromMs + b * bucketSec * 1000), cnt[b]! > 0 ? roundValue(sum[b]! / cnt[b]!, unit) : null]);
  return { stepSec: bucketSec, points };
}

const statsSchema = z.object({
  min: z.number().nullable(),
  avg: z.number().nullable(),
  /** 95th percentile (nearest rank) of the stored points */
  p95: z.number().nullable(),
  /** largest value; on the 1 min ring the largest tick of any minute */
  max: z.number().nullable(),
  /** stored points with a value in the range */
  count: z.number().int().nonnegative(),
});

const seriesSchema = z.object({
  metric: z.string(),
  /** '%' (0–100), 'bytes', 'bytes/s', '/s', 'load' or 'count' */
  unit: z.string(),
  /** width of each returned point (bucket mean) */
  stepSec: z.number(),
  /** ring read: 1s = one point per sampler tick (last 15 min), 1m = per-minute means (last 24 h) */
  resolution: z.enum(['1s', '1m']),
  /** [RFC 3339 bucket start, mean value or null when nothing was sampled] */
  points: z.array(z.tuple([z.string(), z.number().nullable()])),
  /** over the stored points in the range (before downsampling); on the 1 min ring min/avg/p95 are of minute means */
  stats: statsSchema,
});

const metricInfoSchema = z.object({ metric: z.string(), unit: z.string(), description: z.string() });

export const historyDataSchema = z.object({
  /** hostlens's own 1 Hz background sampler (in memory, lost on restart) */
  source: z.literal('sampler'),
  series: z.array(seriesSchema),
  /** every metric name that can be asked for (when `metrics` was omitted) */
  available: z.array(metricInfoSchema).optional(),
  /** the oldest and newest stored points of the ring read (null when it is empty) */
  coverage: z
    .object({ from: z.string().nullable(), to: z.string().nullable(), resolution: z.enum(['1s', '1m']) }),
  requested: z.object({ from: z.string(), to: z.string() }),
});
type HistoryData = z.infer<typeof historyDataSchema>;

interface HistoryQuery {
  metrics?: string[];
  since?: string;
  until?: string;
  maxPoints?: number;
}

/** An invalid_argument HostlensError for names that are neither static nor a recorded family metric, listing the valid ones. */
function checkMetricNames(history: MetricHistory, names: readonly string[]): void {
  const valid = new Set(history.metrics().map((m) => m.name));
  const bad = names.filter((n) => !valid.has(n));
  if (bad.length === 0) return;
  const list = [...valid];
  const shown = list.slice(0, 60).join(', ');
  throw new HostlensError(
    'invalid_argument',
    `unknown metric${bad.length > 1 ? 's' : ''} ${bad.map((b) => `"${b.slice(0, 80)}"`).join(', ')}; valid: ${shown}${list.length > 60 ? ` …(+${list.length - 60})` : ''}`,
  );
}

/** Bytes one [time, value] point costs in JSON at most (≈ 22-char time, 12-char value, punctuation). */
const POINT_BYTES = 40;
const SERIES_OVERHEAD_BYTES = 400;

export function readHistory(services: HostInputs, q: HistoryQuery, nowMs = Date.now()): { data: HistoryData; warnings: string[] } {
  const history = services.sampler.history;
  const warnings: string[] = [];
  const asked = resolveRange(q.since ?? '-15m', q.until, nowMs);
  const resolution = pickResolution(history, asked.fromMs, nowMs);
  const range = alignRange(asked, resolution);
  const cov = history.coverage(resolution);
  const base = {
    source: 'sampler' as const,
    coverage: { from: cov ? isoSec(cov.fromMs) : null, to: cov ? isoSec(cov.toMs) : null, resolution },
    requested: { from: isoSec(range.fromMs), to: isoSec(range.toMs) },
  };
  if (!q.metrics || q.metrics.length === 0) {
    return { data: { ...base, series: [], available: history.metrics().map((m) => ({ metric: m.name, unit: m.unit, description: m.description })) }, warnings };
  }
  checkMetricNames(history, q.metrics);
  if (!cov) warnings.push('the history is empty: the sampler has not ticked yet (or is not running)');
  else if (cov.fromMs > range.fromMs) {
    const older = resolution === '1s' ? ` (the ${resolution} ring spans ${Math.round((history.points1s * history.tickMs) / 60_000)} min)` : '';
    warnings.push(`history starts at ${isoSec(cov.fromMs)}, after the requested start: the server started (or the ring wrapped) recently${older}; earlier points are absent, not zero`);
  }
  const budget = Math.floor((services.limits.maxResultBytes - 2048 - SERIES_OVERHEAD_BYTES * q.metrics.length) / POINT_BYTES / q.metrics.length);
  const maxPoints = Math.max(1, Math.min(q.maxPoints ?? 60, budget));
  if (maxPoints < (q.maxPoints ?? 60)) warnings.push(`maxPoints lowered to ${maxPoints} per series so the result fits maxResultBytes (${services.limits.maxResultBytes})`);
  const stepSec = history.stepSec(resolution);
  const series = q.metrics.map((metric) => {
    const unit = describeMetric(metric)!.unit;
    const s = history.series(metric, range.fromMs, range.toMs, resolution) ?? { resolution, times: [], values: [] };
    const d = downsample(s, range.fromMs, range.toMs, stepSec, maxPoints, unit);
    const st = seriesStats(s.values, s.maxValues);
    return {
      metric,
      unit,
      stepSec: d.stepSec,
      resolution,
      points: d.points,
      stats: { min: roundValue(st.min, unit), avg: roundValue(st.avg, unit), p95: roundValue(st.p95, unit), max: roundValue(st.max, unit), count: st.count },
    };
  });
  for (const [family, d] of Object.entries(history.droppedKeys())) {
    warnings.push(`${family}: ${d.count} key(s) beyond the cap of ${history.maxKeysPerFamily} are not recorded (first seen wins): ${d.keys.join(', ')}`);
  }
  return { data: { ...base, series }, warnings };
}
