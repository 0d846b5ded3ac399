/**
 * Pressure stall information (PSI): proc/pressure/{cpu,memory,io}, and the same format in cgroup v2
 * <cgroup>/{cpu,memory,io}.pressure files.
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { parseDecimal, parseNonNegInt, readText } from './read.js';

export interface PsiLine {
  avg10Pct: number;
  avg60Pct: number;
  avg300Pct: number;
  /** Cumulative stall time in microseconds. */
  totalUsec: number;
}

export interface PsiResource {
  some: PsiLine;
  /** Absent for system-wide cpu on kernels < 5.13 (and meaningless there: always 0). */
  full?: PsiLine;
}

export interface Pressure {
  /** True when at least one resource file was readable (CONFIG_PSI and not psi=0). */
  available: boolean;
  cpu: PsiResource | null;
  memory: PsiResource | null;
  io: PsiResource | null;
  warnings: string[];
}

function parsePsiLine(rest: string): PsiLine | null {
  const kv = new Map<string, string>();
  for (const tok of rest.trim().split(/\s+/)) {
    const i = tok.indexOf('=');
    if (i > 0) kv.set(tok.slice(0, i), tok.slice(i + 1));
  }
  const avg10Pct = parseDecimal(kv.get('avg10'));
  const avg60Pct = parseDecimal(kv.get('avg60'));
  const avg300Pct = parseDecimal(kv.get('avg300'));
  const totalUsec = parseNonNegInt(kv.get('total'));
  if (avg10Pct === null || avg60Pct === null || avg300Pct === null || totalUsec === null) return null;
  // Averages are shares of time: outside 0–100 the line is damaged, not a stall.
  if (![avg10Pct, avg60Pct, avg300Pct].every((v) => v >= 0 && v <= 100)) return null;
  return { avg10Pct, avg60Pct, avg300Pct, totalUsec };
}

/** Parses one PSI file; null when there is no valid "some" line. */
export function parsePsi(text: string): PsiResource | null {
  let some: PsiLine | null = null;
  let full: PsiLine | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('some ')) some = parsePsiLine(line.slice(5));
    else if (line.startsWith('full ')) full = parsePsiLine(line.slice(5));
  }
  if (!some) return null;
  return full ? { some, full } : { some };
}

/** Reads one PSI file (absolute path); warns when present but malformed. */
export function readPsiFile(path: string, label: string, warnings: string[]): PsiResource | null {
  const text = readText(path, 4096);
  if (text === null) return null;
  const r = parsePsi(text);
  if (!r) warnings.push(`${label}: malformed`);
  return r;
}

/** System-wide PSI; every resource null (available false) when the kernel has no PSI. */
export function readPressure(ctx: CollectorContext): Pressure {
  const warnings: string[] = [];
  const read = (r: string): PsiResource | null => readPsiFile(join(ctx.root, 'proc/pressure', r), `proc/pressure/${r}`, warnings);
  const cpu = read('cpu');
  const memory = read('memory');
  const io = read('io');
  return { available: cpu !== null || memory !== null || io !== null, cpu, memory, io, warnings };
}

/** Stall percentage over a window from two cumulative totals (µs) and the window length; clamped to 0–100. */
export function stallPctInWindow(prevTotalUsec: number, curTotalUsec: number, windowSec: number): number | null {
  if (!(windowSec > 0)) return null;
  const d = curTotalUsec - prevTotalUsec;
  if (!(d >= 0)) return null;
  return Math.min(100, Math.round((d / (windowSec * 1e6)) * 1000) / 10);
}
