/**
 * Before/after comparison of two snapshots: the figures that changed, ranked
 * by significance, findings that appeared or went away, and assessments whose
 * status changed. Pure: works on two parsed bundles.
 */
import type { Status } from '../contracts/assessment.js';
import { figuresOf, findingKey } from './figures.js';
import type { Figure } from './figures.js';
import type { SnapshotBundle, SnapshotFinding } from './store.js';
import { compareCodeUnits } from '../util/compare.js';

interface FigureChange {
  path: string;
  before: number | null;
  after: number | null;
  delta: number | null;
  changePct: number | null;
  unit: string;
  /** 0–1 (see significance()): what the ranking sorts by. */
  significance: number;
}

interface StatusChange {
  code: string;
  subject: string | null;
  before: Status;
  after: Status;
}

interface SnapshotDiff {
  elapsedSec: number;
  changed: FigureChange[];
  newFindings: SnapshotFinding[];
  resolvedFindings: SnapshotFinding[];
  statusChanges: StatusChange[];
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Figures that health thresholds judge: for the same movement they rank before the rest. */
const JUDGED = new Set([
  'busyPct', 'iowaitPct', 'stealPct', 'loadPerCpu1', 'cgroupThrottledPct', 'availablePct', 'swapUsedPct', 'oomKillsInWindow',
  'usedPct', 'inodesUsedPct', 'utilPct', 'readAwaitMs', 'writeAwaitMs', 'retransPct', 'listenOverflowsPerSec',
  'rxDropsPerSec', 'txDropsPerSec', 'rxErrorsPerSec', 'txErrorsPerSec', 'avg10Pct', 'memoryFullPct', 'ioFullPct', 'cpuSomePct',
]);

/**
 * How much a figure moved, 0–1: percentages by points out of 100, everything
 * else relative to the larger magnitude (0 → 1 OOM kill scores 1, 8.0 → 7.9 GiB
 * ≈ 0.01), damped for small unjudged counts and rates (1 → 0 reads/s is noise).
 * A figure that appeared or vanished scores 0.5. Figures without a threshold
 * count half, so judged figures lead at equal movement.
 */
export function significance(before: number | null, after: number | null, unit: string, path = ''): number {
  const judged = JUDGED.has(path.slice(path.lastIndexOf('.') + 1));
  const weight = judged ? 1 : 0.5;
  if (before === null || after === null) return before === after ? 0 : 0.5 * weight;
  const delta = Math.abs(after - before);
  if (delta === 0) return 0;
  if (unit === '%') return weight * Math.min(1, delta / 100);
  const scale = Math.max(Math.abs(before), Math.abs(after));
  const damp = !judged && (unit === 'count' || unit === '/s') && scale < 10 ? scale / 10 : 1;
  return weight * damp * Math.min(1, delta / scale);
}

function figureChanges(a: Map<string, Figure>, b: Map<string, Figure>): FigureChange[] {
  const out: FigureChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(path);
    const y = b.get(path);
    const before = x?.value ?? null;
    const after = y?.value ?? null;
    if (before === after) continue;
    const delta = before !== null && after !== null ? round(after - before, 3) : null;
    if (delta === 0) continue;
    out.push({
      path,
      before,
      after,
      delta,
      changePct: delta !== null && before !== null && before !== 0 ? round((delta / Math.abs(before)) * 100, 1) : null,
      unit: (y ?? x)?.unit ?? '',
      significance: significance(before, after, (y ?? x)?.unit ?? '', path),
    });
  }
  return out.sort((p, q) => q.significance - p.significance || compareCodeUnits(p.path, q.path));
}

function subjectOf(key: string): string | null {
  const s = key.slice(key.indexOf('|') + 1);
  return s === '' ? null : s;
}

/** Status per assessment identity across a bundle's sections (triage repeats the others and is skipped). */
function statuses(bundle: SnapshotBundle): Map<string, { code: string; status: Status }> {
  const out = new Map<string, { code: string; status: Status }>();
  for (const [name, section] of Object.entries(bundle.sections)) {
    if (name === 'triage') continue;
    for (const a of section.assessments ?? []) {
      const key = findingKey(a);
      if (!out.has(key)) out.set(key, { code: a.code, status: a.status });
    }
  }
  return out;
}

export function diffSnapshots(a: SnapshotBundle, b: SnapshotBundle): SnapshotDiff {
  const aKeys = new Set(a.findings.map(findingKey));
  const bKeys = new Set(b.findings.map(findingKey));
  const sa = statuses(a);
  const sb = statuses(b);
  const statusChanges: StatusChange[] = [];
  for (const [key, x] of sa) {
    const y = sb.get(key);
    if (y && y.status !== x.status) statusChanges.push({ code: x.code, subject: subjectOf(key), before: x.status, after: y.status });
  }
  return {
    elapsedSec: round((Date.parse(b.capturedAt) - Date.parse(a.capturedAt)) / 1000, 3),
    changed: figureChanges(figuresOf(a), figuresOf(b)),
    newFindings: b.findings.filter((f) => !aKeys.has(findingKey(f))),
    resolvedFindings: a.findings.filter((f) => !bKeys.has(findingKey(f))),
    statusChanges,
  };
}
