/**
 * The numbers in a snapshot as flat `path → {value, unit}` figures, e.g.
 * `memory.availableBytes` or `filesystems./var.usedPct`. Lists are keyed by
 * what identifies their items (mount, device, interface, cgroup path), never
 * by position, so two snapshots line up. Units come from the field-name
 * convention (…Bytes, …Pct, …PerSec, …Ms, …Sec, …Count). Used by
 * diff_snapshots and by the incident_report prompt.
 */
import type { SnapshotBundle, SnapshotFinding } from './store.js';
import { statusRank } from '../contracts/assessment.js';

export interface Figure {
  value: number | null;
  unit: string;
}

/** Sections left out of the figures: triage repeats the area sections, processesByMemory repeats processesByCpu's totals. */
const SKIPPED_SECTIONS = new Set(['triage', 'processesByMemory']);
/** Figure path prefix per section, where it differs from the section name. */
const PREFIX: Record<string, string> = { processesByCpu: 'processes' };
/** List fields whose items are keyed by one of their own fields; the list name itself is dropped from the path. */
const LIST_KEYS: Record<string, string> = { mounts: 'mount', devices: 'name', interfaces: 'name', cgroups: 'path', perCore: 'cpu' };
/** Lists not worth a figure each (per-process rows change identity between captures). */
const SKIPPED_LISTS = new Set(['processes', 'topFdProcesses', 'findings', 'nextSteps']);
/** Fields that are configuration or identity rather than a measurement. */
const SKIPPED_FIELDS = new Set(['hiddenPseudoCount', 'cgroupsExamined', 'redactions', 'fdProcessesUnreadable', 'mtu', 'speedMbps', 'logicalCpus', 'freqMhz', 'low', 'high', 'rangeSize']);

/** The unit a camelCase field name declares. */
export function unitOf(field: string): string {
  if (/BytesPerSec$/.test(field)) return 'bytes/s';
  if (/Bytes$/.test(field)) return 'bytes';
  if (/Pct(?:InWindow)?$/.test(field)) return '%';
  if (/PerSec$/.test(field)) return '/s';
  if (/Ms$/.test(field)) return 'ms';
  if (/Sec$/.test(field)) return 's';
  if (/Mbps$/.test(field)) return 'Mb/s';
  if (/Cores$/.test(field)) return 'cores';
  if (/PerCpu/.test(field)) return 'ratio';
  return 'count';
}

function walk(value: unknown, path: string, field: string, out: Map<string, Figure>, depth: number): void {
  if (depth > 6 || SKIPPED_FIELDS.has(field) || SKIPPED_LISTS.has(field)) return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) out.set(path, { value, unit: unitOf(field) });
    return;
  }
  if (value === null) {
    out.set(path, { value: null, unit: unitOf(field) });
    return;
  }
  if (Array.isArray(value)) {
    const key = LIST_KEYS[field];
    if (!key) return;
    const parent = path.slice(0, path.length - field.length - 1);
    for (const item of value.slice(0, 300)) {
      if (!item || typeof item !== 'object') continue;
      const id = (item as Record<string, unknown>)[key];
      if (typeof id !== 'string' && typeof id !== 'number') continue;
      const prefix = `${parent}.${field === 'perCore' ? 'cpu' : ''}${String(id)}`;
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) if (k !== key) walk(v, `${prefix}.${k}`, k, out, depth + 1);
    }
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, `${path}.${k}`, k, out, depth + 1);
  }
}

/** Every numeric figure of a bundle's sections (null where the section measured nothing). */
export function figuresOf(bundle: Pick<SnapshotBundle, 'sections'>): Map<string, Figure> {
  const out = new Map<string, Figure>();
  for (const [name, section] of Object.entries(bundle.sections)) {
    if (SKIPPED_SECTIONS.has(name) || section.data === undefined) continue;
    walk(section.data, PREFIX[name] ?? name, name, out, 0);
  }
  return out;
}

/**
 * What identifies a finding across captures: its code plus the subject of its
 * message (the assessment label before the value, e.g. "Space used on /var"),
 * so one code judged per mount or device stays distinct and a changed value
 * does not make a finding "new".
 */
export function findingKey(f: Pick<SnapshotFinding, 'code' | 'message'>): string {
  const m = /^(.+?)(?: -?\d[\d.]*(?:%| \S+)? is (?:at or|within)|: not measurable)/.exec(f.message);
  return `${f.code}|${m?.[1] ?? ''}`;
}

/** Non-ok findings worst first (critical, warning, unknown), then by how far past the threshold. */
export function rankFindings<T extends SnapshotFinding & { threshold?: number | null }>(list: readonly T[]): T[] {
  const over = (f: T): number =>
    f.value === null || f.threshold === undefined || f.threshold === null || f.threshold === 0 ? 0 : Math.abs(f.value - f.threshold) / Math.abs(f.threshold);
  return [...list].sort((a, b) => statusRank(b.status) - statusRank(a.status) || over(b) - over(a));
}

/** Headline figures for a report, in a fixed order, skipping what the bundle lacks. */
const HEADLINE = [
  'cpu.busyPct',
  'cpu.iowaitPct',
  'cpu.stealPct',
  'cpu.loadPerCpu1',
  'cpu.cgroupThrottledPct',
  'memory.availableBytes',
  'memory.availablePct',
  'memory.swapUsedPct',
  'memory.swapOutPerSec',
  'memory.majorFaultsPerSec',
  'memory.oomKillsInWindow',
  'memory.oomKillsSinceBoot',
  'memory.cgroup.usedPct',
  'network.tcp.retransPct',
  'network.tcp.listenOverflowsPerSec',
  'network.conntrack.usedPct',
  'pressure.system.cpu.some.avg10Pct',
  'pressure.system.memory.full.avg10Pct',
  'pressure.system.io.full.avg10Pct',
  'limits.fds.usedPct',
  'limits.threads.usedPct',
  'limits.ephemeralPorts.usedPct',
];

/** The figures worth quoting: the fixed headline set plus the worst mounts and devices (bounded). */
export function headlineFigures(bundle: Pick<SnapshotBundle, 'sections'>, perList = 3): Array<{ path: string } & Figure> {
  const all = figuresOf(bundle);
  const out: Array<{ path: string } & Figure> = [];
  for (const path of HEADLINE) {
    const f = all.get(path);
    if (f && f.value !== null) out.push({ path, ...f });
  }
  const worst = (prefix: string, suffix: string): void => {
    const list = [...all.entries()]
      .filter(([p, f]) => p.startsWith(prefix) && p.endsWith(suffix) && f.value !== null)
      .sort((a, b) => (b[1].value ?? 0) - (a[1].value ?? 0))
      .slice(0, perList);
    for (const [path, f] of list) out.push({ path, ...f });
  };
  worst('filesystems.', '.usedPct');
  worst('filesystems.', '.inodesUsedPct');
  worst('disks.', '.utilPct');
  worst('network.', '.rxDropsPerSec');
  return out;
}

/** `12.3 %`, `5368709120 bytes (5.0 GiB)`: a figure with its unit, for prompt text. */
export function formatFigure(value: number | null, unit: string): string {
  if (value === null) return 'unknown';
  if (unit === 'bytes') {
    const gib = value / 2 ** 30;
    const mib = value / 2 ** 20;
    return `${value} bytes (${Math.abs(gib) >= 1 ? `${gib.toFixed(1)} GiB` : `${mib.toFixed(1)} MiB`})`;
  }
  if (unit === '%') return `${value}%`;
  if (unit === 'count') return String(value);
  return `${value} ${unit}`;
}
