/**
 * Memory: proc/meminfo (converted to bytes) and proc/vmstat counters.
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { parseKeyValueNumbers, pct, readText } from './read.js';

export interface MemInfo {
  totalBytes: number | null;
  freeBytes: number | null;
  /** MemAvailable; on kernels without it (< 3.14) estimated as free + buffers + cached, with a warning. */
  availableBytes: number | null;
  /** total − available. */
  usedBytes: number | null;
  /** used / total, 0–100. */
  usedPct: number | null;
  buffersBytes: number | null;
  cachedBytes: number | null;
  shmemBytes: number | null;
  slabReclaimableBytes: number | null;
  slabUnreclaimableBytes: number | null;
  dirtyBytes: number | null;
  writebackBytes: number | null;
  committedBytes: number | null;
  commitLimitBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  swapUsedBytes: number | null;
  swapCachedBytes: number | null;
  anonHugePagesBytes: number | null;
  hugePagesTotalCount: number | null;
  hugePagesFreeCount: number | null;
  hugePagesReservedCount: number | null;
  hugePageSizeBytes: number | null;
  warnings: string[];
}

export interface VmStat {
  /** Pages swapped in since boot. */
  pswpin: number | null;
  /** Pages swapped out since boot. */
  pswpout: number | null;
  /** Major page faults since boot. */
  pgmajfault: number | null;
  /** Page faults (minor + major) since boot. */
  pgfault: number | null;
  /** OOM kills since boot (Linux ≥ 4.13; null before). */
  oomKill: number | null;
  /** Every counter in the file. */
  all: Map<string, number>;
  warnings: string[];
}

/** Parses proc/meminfo text. Fields with a "kB" unit become bytes; HugePages_* stay counts. */
export function parseMemInfo(text: string): MemInfo {
  const { values, badLines } = parseKeyValueNumbers(text);
  const warnings: string[] = [];
  if (badLines > 0) warnings.push(`proc/meminfo: ${badLines} malformed line(s) skipped`);
  let impossible = 0;
  // Negative or beyond-exact (> 2^53 bytes, 8 PiB) values are damage, not memory: null, with a warning.
  const kb = (k: string): number | null => {
    const v = values.get(k);
    if (v === undefined) return null;
    if (v < 0 || !Number.isSafeInteger(v * 1024)) {
      impossible++;
      return null;
    }
    return v * 1024;
  };
  const count = (k: string): number | null => {
    const v = values.get(k);
    if (v === undefined) return null;
    if (v < 0 || !Number.isSafeInteger(v)) {
      impossible++;
      return null;
    }
    return v;
  };
  const totalBytes = kb('MemTotal');
  const freeBytes = kb('MemFree');
  const buffersBytes = kb('Buffers');
  const cachedBytes = kb('Cached');
  let availableBytes = kb('MemAvailable');
  if (availableBytes === null && freeBytes !== null) {
    availableBytes = freeBytes + (buffersBytes ?? 0) + (cachedBytes ?? 0);
    warnings.push('proc/meminfo: no MemAvailable; estimated as MemFree + Buffers + Cached');
  }
  if (totalBytes === null) warnings.push('proc/meminfo: no MemTotal');
  const usedBytes = totalBytes !== null && availableBytes !== null ? Math.max(0, totalBytes - availableBytes) : null;
  const swapTotalBytes = kb('SwapTotal');
  const swapFreeBytes = kb('SwapFree');
  const info: MemInfo = {
    totalBytes,
    freeBytes,
    availableBytes,
    usedBytes,
    usedPct: usedBytes !== null && totalBytes !== null ? pct(usedBytes, totalBytes) : null,
    buffersBytes,
    cachedBytes,
    shmemBytes: kb('Shmem'),
    slabReclaimableBytes: kb('SReclaimable'),
    slabUnreclaimableBytes: kb('SUnreclaim'),
    dirtyBytes: kb('Dirty'),
    writebackBytes: kb('Writeback'),
    committedBytes: kb('Committed_AS'),
    commitLimitBytes: kb('CommitLimit'),
    swapTotalBytes,
    swapFreeBytes,
    swapUsedBytes: swapTotalBytes !== null && swapFreeBytes !== null ? Math.max(0, swapTotalBytes - swapFreeBytes) : null,
    swapCachedBytes: kb('SwapCached'),
    anonHugePagesBytes: kb('AnonHugePages'),
    hugePagesTotalCount: count('HugePages_Total'),
    hugePagesFreeCount: count('HugePages_Free'),
    hugePagesReservedCount: count('HugePages_Rsvd'),
    hugePageSizeBytes: kb('Hugepagesize'),
    warnings,
  };
  if (impossible > 0) warnings.push(`proc/meminfo: ${impossible} negative or impossible value(s) ignored`);
  return info;
}

export function readMemInfo(ctx: CollectorContext): MemInfo {
  const text = readText(join(ctx.root, 'proc/meminfo'), 64 * 1024);
  const info = parseMemInfo(text ?? '');
  if (text === null) info.warnings = ['proc/meminfo: unreadable'];
  return info;
}

/** Parses proc/vmstat text ("name value" per line). */
export function parseVmStat(text: string): VmStat {
  const { values, badLines } = parseKeyValueNumbers(text);
  const warnings: string[] = [];
  if (badLines > 0) warnings.push(`proc/vmstat: ${badLines} malformed line(s) skipped`);
  // Counters since boot are never negative: a negative value is damage (null), not a count.
  const g = (k: string): number | null => {
    const v = values.get(k);
    return v === undefined || v < 0 ? null : v;
  };
  const negative = [...values.values()].filter((v) => v < 0).length;
  if (negative > 0) warnings.push(`proc/vmstat: ${negative} negative counter(s) ignored`);
  return {
    pswpin: g('pswpin'),
    pswpout: g('pswpout'),
    pgmajfault: g('pgmajfault'),
    pgfault: g('pgfault'),
    oomKill: g('oom_kill'),
    all: values,
    warnings,
  };
}

export function readVmStat(ctx: CollectorContext): VmStat {
  const text = readText(join(ctx.root, 'proc/vmstat'), 256 * 1024);
  const v = parseVmStat(text ?? '');
  if (text === null) v.warnings = ['proc/vmstat: unreadable'];
  return v;
}
