/**
 * detect_anomalies: every metric of the sampler history compared between an incident window and a baseline
 * period with robust statistics. robustZ = (windowMedian − baselineMedian) / scale, where
 * scale = max(1.4826 · MAD(baseline), floor) and floor = max(5 % of |baselineMedian|, a per-unit minimum:
 * 0.5 percentage points for %, 1 MiB for bytes, 4 KiB/s for bytes/s, 1 for /s, 0.05 for load, 0.5 for counts).
 * The floor keeps a flat or smooth baseline (MAD ≈ 0: load averages, memory gauges over a few seconds) from
 * turning a small drift into a huge score: a change below 5 % of the baseline level never scores above 1. Metrics with fewer than
 * MIN_POINTS finite points on either side are skipped (and named); |robustZ| < 1 is not listed.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import type { MetricHistory, Resolution } from '../collectors/history.js';
import { describeMetric } from '../collectors/history.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { MAX_RANGE_MS, alignRange, finiteSorted, isoSec, pickResolution, resolveRange, roundValue } from './history.js';
import type { TimeRange } from './history.js';
import { compareCodeUnits } from '../util/compare.js';

export const MIN_POINTS = 5;
const MIN_ABS_Z = 1;
const MAD_SCALE = 1.4826;
const REL_FLOOR = 0.05;
const Z_CAP = 1e6;
const UNIT_FLOOR: Record<string, number> = { '%': 0.5, bytes: 1024 * 1024, 'bytes/s': 4096, '/s': 1, load: 0.05, count: 0.5 };

const anomalySchema = z.object({
  metric: z.string(),
  unit: z.string(),
  baselineMedian: z.number(),
  windowMedian: z.number(),
  /** (window − baseline) / |baseline| × 100; null when the baseline median is 0 */
  changePct: z.number().nullable(),
  /** (windowMedian − baselineMedian) / max(1.4826·MAD, floor); |z| ≥ 3.5 is a strong change */
  robustZ: z.number(),
  direction: z.enum(['up', 'down']),
  /** finite points compared on each side */
  points: z.object({ baseline: z.number().int(), window: z.number().int() }),
});
type Anomaly = z.infer<typeof anomalySchema>;

const rangeOut = z.object({ from: z.string(), to: z.string() });

export const anomaliesDataSchema = z.object({
  source: z.literal('sampler'),
  window: rangeOut,
  /** the compared period (default: as long as the window, just before it) */
  baseline: rangeOut,
  /** ring compared: 1s when the baseline starts within the last 15 min, else per-minute means */
  resolution: z.enum(['1s', '1m']),
  /** metrics with enough points on both sides */
  consideredCount: z.number().int().nonnegative(),
  /** metrics with fewer than MIN_POINTS points in the window or the baseline (≤ 20 names) */
  skippedTooFewPoints: z.object({ count: z.number().int().nonnegative(), metrics: z.array(z.string()) }),
  /** metrics that moved (|robustZ| ≥ MIN_ABS_Z), largest |robustZ| first */
  ranked: z.array(anomalySchema),
});
type AnomaliesData = Omit<z.infer<typeof anomaliesDataSchema>, 'ranked'>;

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** Compares two samples of one metric; null when either side has fewer than MIN_POINTS finite values. */
export function compareSamples(metric: string, unit: string, baseline: readonly number[], window: readonly number[]): Anomaly | null {
  const b = finiteSorted(baseline);
  const w = finiteSorted(window);
  if (b.length < MIN_POINTS || w.length < MIN_POINTS) return null;
  const bMed = median(b);
  const wMed = median(w);
  const mad = median(finiteSorted(b.map((v) => Math.abs(v - bMed))));
  const floor = Math.max(REL_FLOOR * Math.abs(bMed), UNIT_FLOOR[unit] ?? 0, Number.MIN_VALUE);
  const scale = Math.max(MAD_SCALE * mad, floor);
  const zRaw = Math.max(-Z_CAP, Math.min(Z_CAP, (wMed - bMed) / scale));
  return {
    metric,
    unit,
    baselineMedian: roundValue(bMed, unit)!,
    windowMedian: roundValue(wMed, unit)!,
    changePct: bMed !== 0 ? Math.round(((wMed - bMed) / Math.abs(bMed)) * 1000) / 10 : null,
    robustZ: Math.round(zRaw * 100) / 100,
    direction: zRaw < 0 ? 'down' : 'up',
    points: { baseline: b.length, window: w.length },
  };
}

interface AnomalyRanges {
  window: TimeRange;
  baseline: TimeRange;
  resolution: Resolution;
}

/** The window, and the baseline: given (until defaulting to the window start), or as long as the window right before it (never older than 24 h). */
export function anomalyRanges(
  history: MetricHistory,
  window: { since: string; until?: string | undefined },
  baseline: { since: string; until?: string | undefined } | undefined,
  nowMs: number,
): AnomalyRanges {
  const w = resolveRange(window.since, window.until, nowMs, 'window.');
  let b: TimeRange;
  if (baseline) b = resolveRange(baseline.since, baseline.until, nowMs, 'baseline.', w.fromMs);
  else b = { fromMs: Math.max(nowMs - MAX_RANGE_MS, w.fromMs - (w.toMs - w.fromMs)), toMs: w.fromMs };
  const resolution = pickResolution(history, Math.min(w.fromMs, b.fromMs), nowMs);
  return { window: alignRange(w, resolution), baseline: alignRange(b, resolution), resolution };
}

/** Every recorded metric compared; ranked by |robustZ| (then name), |z| < MIN_ABS_Z left out. */
export function rankAnomalies(history: MetricHistory, r: AnomalyRanges): { ranked: Anomaly[]; considered: number; skipped: string[] } {
  const ranked: Anomaly[] = [];
  const skipped: string[] = [];
  let considered = 0;
  for (const name of history.metricNames()) {
    const unit = describeMetric(name)?.unit ?? '';
    const b = history.series(name, r.baseline.fromMs, r.baseline.toMs - 1, r.resolution);
    const w = history.series(name, r.window.fromMs, r.window.toMs, r.resolution);
    const a = b && w ? compareSamples(name, unit, b.values, w.values) : null;
    if (!a) {
      skipped.push(name);
      continue;
    }
    considered++;
    if (Math.abs(a.robustZ) >= MIN_ABS_Z) ranked.push(a);
  }
  ranked.sort((x, y) => Math.abs(y.robustZ) - Math.abs(x.robustZ) || compareCodeUnits(x.metric, y.metric));
  return { ranked, considered, skipped };
}

/** Key metrics for the assessments, with the direction that hurts (mem.availableBytes falling; the rest rising). */
function harmfulDirection(metric: string): 'up' | 'down' | null {
  if (metric === 'mem.availableBytes') return 'down';
  if (/^(cpu\.|load\.|mem\.|swap\.|psi\.|tcp\.retransPct$|procs\.blocked$)/.test(metric)) return 'up';
  if (/^disk\..+\.utilPct$/.test(metric) || /^fs\..+\.usedPct$/.test(metric)) return 'up';
  return null;
}

/** The stable code of a metric's anomaly: the device/interface/mount key left out (anomaly.disk.utilPct). */
function anomalyCode(metric: string): string {
  const m = /^(disk|net|fs)\..+\.([A-Za-z]+)$/.exec(metric);
  return `anomaly.${m ? `${m[1]}.${m[2]}` : metric}`;
}

const MAX_ASSESSMENTS = 5;

/** A warning per key metric moved in its harmful direction by ≥ the anomaly.robustZ warning (≤ 5); else one ok. */
export function assessAnomalies(ranked: readonly Anomaly[], services: Pick<HostInputs, 'thresholds'>, considered: number): Assessment[] {
  const spec = services.thresholds['anomaly.robustZ'];
  if (considered === 0) return [unknownAssessment('anomaly', 'anomaly.no_data', 'not enough history in the window and the baseline to compare (the sampler keeps 1 s points for 15 min, 1 min means for 24 h since the server started)', 'z')];
  const hits = ranked.filter((a) => harmfulDirection(a.metric) === a.direction && Math.abs(a.robustZ) >= spec.warning).slice(0, MAX_ASSESSMENTS);
  if (hits.length === 0) {
    return [{ ...assess({ area: 'anomaly', code: 'anomaly.key_metrics', label: 'Largest harmful change of a key metric (|robust z|)', value: 0, spec }), message: `no key metric moved in its harmful direction by |robust z| ≥ ${spec.warning}` }];
  }
  return hits.map((a) => ({
    area: 'anomaly',
    code: anomalyCode(a.metric),
    status: 'warning' as const,
    message: `${a.metric} ${a.direction} from ${a.baselineMedian} to ${a.windowMedian} ${a.unit} (median), robust z ${a.robustZ}`,
    value: Math.abs(a.robustZ),
    threshold: spec.warning,
    unit: 'z',
    evidence: [`points: baseline ${a.points.baseline}, window ${a.points.window}`, ...(a.changePct !== null ? [`change ${a.changePct}%`] : [])],
  }));
}

/** A warning when the history starts after the baseline (or window) begins: a recently started server compares less. */
export function coverageWarning(history: MetricHistory, r: AnomalyRanges): string | null {
  const cov = history.coverage(r.resolution);
  const start = Math.min(r.baseline.fromMs, r.window.fromMs);
  if (!cov) return 'the history is empty: the sampler has not ticked yet (or is not running)';
  const slack = Math.max(2 * history.stepSec(r.resolution) * 1000, 0.1 * (r.baseline.toMs - r.baseline.fromMs));
  if (cov.fromMs <= start + slack) return null; // a tick or two (or a tenth of the baseline) missing is no news
  return `history (${r.resolution}) starts at ${isoSec(cov.fromMs)}, after the baseline start ${isoSec(start)}: the server started recently, so the ${cov.fromMs >= r.window.fromMs ? 'baseline is empty' : 'baseline is partial'}`;
}

export function anomaliesHeader(r: AnomalyRanges, considered: number, skipped: readonly string[]): AnomaliesData {
  return {
    source: 'sampler',
    window: { from: isoSec(r.window.fromMs), to: isoSec(r.window.toMs) },
    baseline: { from: isoSec(r.baseline.fromMs), to: isoSec(r.baseline.toMs) },
    resolution: r.resolution,
    consideredCount: considered,
    skippedTooFewPoints: { count: skipped.length, metrics: skipped.slice(0, 20) },
  };
}

