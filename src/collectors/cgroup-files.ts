/**
 * cgroup file formats: limit values ('max', -1 and v1's huge "unlimited" → null), cpu.max, proc/<pid>/cgroup,
 * and the readers of one cgroup file under the collector root (a present but garbled file → null + a warning).
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { parseKeyValueNumbers, parseNonNegInt, readLine, readText } from './read.js';

/** Anything at or above 2^62 is v1's "no limit" (PAGE_COUNTER_MAX × page size = 9223372036854771712). */
const UNLIMITED_THRESHOLD = 2 ** 62;

/** A limit value: a number, or null for 'max' / -1 / v1 "unlimited". */
export function parseLimit(s: string | null | undefined): number | null {
  if (s === null || s === undefined) return null;
  const t = s.trim();
  if (t === 'max' || t === '-1') return null;
  const n = parseNonNegInt(t);
  return n === null || n >= UNLIMITED_THRESHOLD ? null : n;
}

/** Parses v2 cpu.max "quota period" ("max 100000" → quota null). */
export function parseCpuMax(s: string | null): { quotaUsec: number | null; periodUsec: number | null } {
  if (s === null) return { quotaUsec: null, periodUsec: null };
  const [q, p] = s.trim().split(/\s+/);
  return { quotaUsec: parseLimit(q), periodUsec: parseNonNegInt(p) };
}

export function quotaCores(quotaUsec: number | null, periodUsec: number | null): number | null {
  return quotaUsec !== null && periodUsec !== null && periodUsec > 0 ? Math.round((quotaUsec / periodUsec) * 1000) / 1000 : null;
}

/** Parses proc/<pid>/cgroup into v2 path and v1 controller → path. */
export function parseProcCgroup(text: string): { v2Path: string | null; v1: Map<string, string> } {
  let v2Path: string | null = null;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2Path = m[3]!;
    else for (const c of m[2]!.split(',')) if (c !== '') v1.set(c, m[3]!);
  }
  return { v2Path, v1 };
}

export function malformed(warnings: string[] | undefined, rel: string): void {
  if (warnings && warnings.length < 20) warnings.push(`${rel}: malformed`);
}

/** "key value" lines; a file that is present but has unparsable lines (or none at all) warns. */
export function kv(ctx: CollectorContext, rel: string, warnings?: string[]): Map<string, number> | null {
  const t = readText(join(ctx.root, rel), 16 * 1024);
  if (t === null) return null;
  const r = parseKeyValueNumbers(t);
  if (r.badLines > 0 || r.values.size === 0) malformed(warnings, rel);
  return r.values;
}

export function line(ctx: CollectorContext, rel: string): string | null {
  return readLine(join(ctx.root, rel));
}

/** A one-number file: null when absent; null plus a warning when present but not a non-negative integer. */
export function num(ctx: CollectorContext, rel: string, warnings?: string[]): number | null {
  const s = line(ctx, rel);
  const n = parseNonNegInt(s);
  if (s !== null && n === null) malformed(warnings, rel);
  return n;
}

/** A limit file ('max', -1 and v1's huge values are "no limit" = null, silently); garbage warns. */
export function limitFile(ctx: CollectorContext, rel: string, warnings?: string[]): number | null {
  const s = line(ctx, rel);
  if (s !== null && s !== 'max' && s !== '-1' && parseNonNegInt(s) === null) malformed(warnings, rel);
  return parseLimit(s);
}

/** A memory limit: the kernel keeps these in whole pages, so anything else is a garbled file (null + warning). */
export function memoryLimitFile(ctx: CollectorContext, rel: string, warnings?: string[]): number | null {
  const n = limitFile(ctx, rel, warnings);
  if (n === null || n % ctx.pageSize === 0) return n;
  malformed(warnings, rel);
  return null;
}
