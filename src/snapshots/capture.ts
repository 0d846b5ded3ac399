/**
 * The standard sweep behind capture_snapshot: every area's own diagnostics
 * function (the same readings its tool serves), gathered into one evidence
 * bundle with all non-ok assessments as findings. Sections that wait on a
 * window run concurrently, so a windowSec costs one wait, not five. A section
 * that fails is recorded with its error instead of failing the capture.
 */
import type { HostInputs } from '../diagnostics/host-inputs.js';
import { worstStatus } from '../contracts/assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { readCpu } from '../diagnostics/cpu.js';
import { readDiskIo } from '../diagnostics/disks.js';
import { readFilesystemHealth } from '../diagnostics/filesystems.js';
import { readLimitsHealth } from '../diagnostics/limits.js';
import { readMemory } from '../diagnostics/memory.js';
import { readNetwork } from '../diagnostics/network.js';
import { readPressureDetail } from '../diagnostics/pressure-detail.js';
import { scanWithCpu, topProcesses } from '../diagnostics/processes.js';
import { runTriage } from '../diagnostics/triage.js';
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import { findingKey, rankFindings } from './figures.js';
import type { SnapshotBundle, SnapshotFinding, SnapshotSection } from './store.js';

/** Processes kept per top list in a bundle. */
const SNAPSHOT_TOP_PROCESSES = 10;
/** Cgroups kept in the pressure section. */
const SNAPSHOT_TOP_CGROUPS = 5;
/** Warnings kept in a bundle. */
const MAX_WARNINGS = 30;

/**
 * The tool whose reading each section is: a section is that tool's data, so at
 * read time it is shown only to a reader holding that tool's scope (view.ts).
 */
export const SECTION_SOURCES: Readonly<Record<string, string>> = {
  triage: 'triage_host',
  cpu: 'get_cpu',
  memory: 'get_memory',
  filesystems: 'get_filesystems',
  disks: 'get_disk_io',
  network: 'get_network',
  pressure: 'get_pressure',
  limits: 'get_limits',
  processesByCpu: 'top_processes',
  processesByMemory: 'top_processes',
};

interface CaptureOptions {
  /** The tools the server serves: the triage section's next steps name only these. */
  servedTools: ServedTools;
  label?: string | null;
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
}

interface Reading {
  data: unknown;
  assessments?: Assessment[];
  windowSec?: number | undefined;
  truncated?: { returned: number; total: number } | undefined;
  warnings?: string[];
}

type CapturedBundle = Omit<SnapshotBundle, 'id'>;

type Attempt<T> = { value: T } | { error: unknown };

/** A point-in-time reading taken once and used by its section and by triage; a failure stays the section's. */
function attempt<T>(read: () => T): Attempt<T> {
  try {
    return { value: read() };
  } catch (error) {
    return { error };
  }
}

function unwrap<T>(a: Attempt<T>): T {
  if ('error' in a) throw a.error;
  return a.value;
}

function ok<K extends string, T>(key: K, a: Attempt<T>): Partial<Record<K, T>> {
  return 'value' in a ? ({ [key]: a.value } as Record<K, T>) : {};
}

/** Runs the sweep; returns the bundle ready for the store (which assigns the id). */
export async function captureBundle(services: HostInputs, options: CaptureOptions): Promise<CapturedBundle> {
  const capturedAt = new Date().toISOString();
  const win = options.windowSec !== undefined ? { windowSec: options.windowSec } : {};
  const sig = options.signal ? { signal: options.signal } : {};
  const warnings: Array<{ section: string; text: string }> = [];
  let done = 0;
  const names = ['triage', 'cpu', 'memory', 'filesystems', 'disks', 'network', 'pressure', 'limits', 'processesByCpu', 'processesByMemory'] as const;
  const section = async (name: string, read: () => Promise<Reading> | Reading): Promise<[string, SnapshotSection]> => {
    let out: SnapshotSection;
    try {
      const r = await read();
      out = {
        source: SECTION_SOURCES[name] ?? name,
        data: r.data,
        assessments: r.assessments ?? [],
        ...(r.windowSec !== undefined ? { windowSec: r.windowSec } : {}),
        ...(r.truncated ? { truncated: r.truncated } : {}),
      };
      for (const text of r.warnings ?? []) warnings.push({ section: name, text });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message.split('\n')[0] ?? 'failed' : 'failed';
      out = { source: SECTION_SOURCES[name] ?? name, error: message };
      warnings.push({ section: name, text: `not captured (${message})` });
    }
    done += 1;
    await options.progress?.(done / names.length, `captured ${name}`);
    return [name, out];
  };
  // Each area is read once: the windowed readings (and one process scan ranked twice) start
  // together, and triage judges those same readings instead of reading every area again.
  const cpuP = readCpu(services, { ...win, ...sig });
  const diskP = readDiskIo(services, { ...win, ...sig });
  const networkP = readNetwork(services, { ...win, ...sig });
  const processesP = scanWithCpu(services, { ...win, ...sig });
  const memory = attempt(() => readMemory(services));
  const filesystems = attempt(() => readFilesystemHealth(services));
  const limits = attempt(() => readLimitsHealth(services));
  const settled = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);
  const top = async (sortBy: 'cpu' | 'memory') => topProcesses(services, { sortBy, limit: SNAPSHOT_TOP_PROCESSES, ...sig, window: await processesP });
  const waited = await Promise.all([
    section('triage', async () => {
      const [cpu, disk, network] = await Promise.all([settled(cpuP), settled(diskP), settled(networkP)]);
      const readings = { ...(cpu ? { cpu } : {}), ...(disk ? { disk } : {}), ...(network ? { network } : {}), ...ok('memory', memory), ...ok('filesystems', filesystems), ...ok('limits', limits) };
      return runTriage(services, { ...win, ...sig, readings, servedTools: options.servedTools });
    }),
    section('cpu', () => cpuP),
    section('disks', () => diskP),
    section('network', () => networkP),
    section('processesByCpu', () => top('cpu')),
    section('processesByMemory', () => top('memory')),
  ]);
  const instant = await Promise.all([
    section('memory', () => unwrap(memory)),
    section('filesystems', () => unwrap(filesystems)),
    section('pressure', () => readPressureDetail(services, SNAPSHOT_TOP_CGROUPS)),
    section('limits', () => unwrap(limits)),
  ]);
  const byName = new Map([...waited, ...instant]);
  const sections: Record<string, SnapshotSection> = {};
  for (const n of names) {
    const s = byName.get(n);
    if (s) sections[n] = s;
  }
  const all = Object.entries(sections)
    .filter(([n]) => n !== 'triage')
    .flatMap(([n, s]) => (s.assessments ?? []).map((a) => ({ ...a, section: n })));
  const findings = findingsOf(all);
  const cpuWindow = sections.cpu?.windowSec ?? sections.triage?.windowSec ?? null;
  return {
    label: options.label ?? null,
    host: services.hostId,
    capturedAt,
    windowSec: cpuWindow,
    overall: worstStatus(all.map((a) => a.status)),
    sections,
    findings,
    warnings: mergeWarnings(warnings),
  };
}

/** `section: text` once per text (triage repeats its areas' warnings), bounded. */
function mergeWarnings(list: ReadonlyArray<{ section: string; text: string }>): string[] {
  const fromAreas = new Set(list.filter((w) => w.section !== 'triage').map((w) => w.text));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of list) {
    if ((w.section === 'triage' && fromAreas.has(w.text)) || seen.has(`${w.section}|${w.text}`)) continue;
    seen.add(`${w.section}|${w.text}`);
    out.push(`${w.section}: ${w.text}`);
  }
  return out.length > MAX_WARNINGS ? [...out.slice(0, MAX_WARNINGS), `…and ${out.length - MAX_WARNINGS} more warnings`] : out;
}

/** Warning and critical assessments, one per subject, worst first (each naming its section when known). */
function findingsOf(assessments: ReadonlyArray<Assessment & { section?: string }>): SnapshotFinding[] {
  const seen = new Set<string>();
  const ranked = rankFindings(assessments.filter((a) => a.status === 'warning' || a.status === 'critical'));
  const out: SnapshotFinding[] = [];
  for (const a of ranked) {
    const key = findingKey(a);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ code: a.code, status: a.status, area: a.area, message: a.message, value: a.value, unit: a.unit, ...(a.section ? { section: a.section } : {}) });
  }
  return out;
}
