/**
 * Block device I/O counters from proc/diskstats, and iostat-x style rates between two samples.
 * Whole disks, dm-*, md* and NVMe namespaces are kept; partitions are dropped; loop and ram devices are
 * (zram included) kept only when they did any I/O.
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { parseNonNegInt, readTextDetailed, roundTo } from './read.js';

export interface DiskCounters {
  name: string;
  major: number;
  minor: number;
  readsCompleted: number;
  readsMerged: number;
  sectorsRead: number;
  readMs: number;
  writesCompleted: number;
  writesMerged: number;
  sectorsWritten: number;
  writeMs: number;
  inFlight: number;
  ioMs: number;
  weightedIoMs: number;
}

interface DiskStats {
  /** False when proc/diskstats could not be read. */
  available: boolean;
  devices: DiskCounters[];
  warnings: string[];
}

interface DiskRates {
  name: string;
  readsPerSec: number;
  writesPerSec: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  /** Share of the window the device had I/O in flight (io_ticks delta / window), 0–100. */
  utilPct: number;
  /** Average ms per completed read in the window; null without reads. */
  readAwaitMs: number | null;
  writeAwaitMs: number | null;
  /** Weighted io ms delta / window ms (iostat aqu-sz). */
  avgQueueDepth: number;
  /** Requests in flight at the end of the window. */
  inFlight: number;
}

/** diskstats sectors are always 512 bytes, whatever the device's logical block size. */
const SECTOR_BYTES = 512;

const PARTITION = /^(?:(?:sd|vd|xvd|hd)[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+|nbd\d+)p\d+)$/;
const VIRTUAL = /^(?:loop|ram|zram)\d+$/;

/** True for names kept in the device list: not a partition; loop/ram only when they did I/O. */
export function isReportedDevice(c: DiskCounters): boolean {
  if (PARTITION.test(c.name)) return false;
  if (VIRTUAL.test(c.name)) return c.readsCompleted + c.writesCompleted > 0;
  return true;
}

/** Parses proc/diskstats (14, 18 or 20 fields a line); malformed lines are skipped and counted. */
export function parseDiskStats(text: string): { devices: DiskCounters[]; badLines: number } {
  const devices: DiskCounters[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 14) {
      badLines++;
      continue;
    }
    const n = f.slice(3, 14).map((s) => parseNonNegInt(s));
    const major = parseNonNegInt(f[0]);
    const minor = parseNonNegInt(f[1]);
    if (major === null || minor === null || n.some((v) => v === null)) {
      badLines++;
      continue;
    }
    const v = n as number[];
    devices.push({
      name: f[2]!,
      major,
      minor,
      readsCompleted: v[0]!,
      readsMerged: v[1]!,
      sectorsRead: v[2]!,
      readMs: v[3]!,
      writesCompleted: v[4]!,
      writesMerged: v[5]!,
      sectorsWritten: v[6]!,
      writeMs: v[7]!,
      inFlight: v[8]!,
      ioMs: v[9]!,
      weightedIoMs: v[10]!,
    });
  }
  return { devices, badLines };
}

/** Reads proc/diskstats, keeping the reported devices (see isReportedDevice). Never throws. */
export function readDiskStats(ctx: CollectorContext): DiskStats {
  const warnings: string[] = [];
  const r = readTextDetailed(join(ctx.root, 'proc/diskstats'), 4 * 1024 * 1024);
  if (r.text === null) return { available: false, devices: [], warnings: [`proc/diskstats: ${r.error ?? 'unreadable'}`] };
  if (r.truncated) warnings.push('proc/diskstats: larger than 4 MiB, the rest was not read');
  const { devices, badLines } = parseDiskStats(r.text);
  if (badLines > 0) warnings.push(`proc/diskstats: ${badLines} malformed line(s) skipped`);
  // Every Linux host lists some block device (at least ram/loop): no valid line means a damaged read.
  if (devices.length === 0) return { available: false, devices: [], warnings: [...warnings, 'proc/diskstats: no valid device line'] };
  return { available: true, devices: devices.filter(isReportedDevice), warnings };
}

/**
 * Rates for every device present in both samples (matched by name). A device whose counters went backwards
 * (reset, hot-swap) is left out. utilPct is clamped to 0–100.
 */
export function diskRates(prev: readonly DiskCounters[], cur: readonly DiskCounters[], windowSec: number): DiskRates[] {
  if (!(windowSec > 0)) return [];
  const before = new Map(prev.map((d) => [d.name, d]));
  const out: DiskRates[] = [];
  for (const b of cur) {
    const a = before.get(b.name);
    if (!a) continue;
    const reads = b.readsCompleted - a.readsCompleted;
    const writes = b.writesCompleted - a.writesCompleted;
    const dRead = b.sectorsRead - a.sectorsRead;
    const dWrite = b.sectorsWritten - a.sectorsWritten;
    const readMs = b.readMs - a.readMs;
    const writeMs = b.writeMs - a.writeMs;
    const io = b.ioMs - a.ioMs;
    const weighted = b.weightedIoMs - a.weightedIoMs;
    if ([reads, writes, dRead, dWrite, readMs, writeMs, io, weighted].some((d) => d < 0)) continue;
    const ms = windowSec * 1000;
    out.push({
      name: b.name,
      readsPerSec: roundTo(reads / windowSec, 1),
      writesPerSec: roundTo(writes / windowSec, 1),
      readBytesPerSec: Math.round((dRead * SECTOR_BYTES) / windowSec),
      writeBytesPerSec: Math.round((dWrite * SECTOR_BYTES) / windowSec),
      utilPct: Math.min(100, roundTo((io / ms) * 100, 1)),
      readAwaitMs: reads > 0 ? roundTo(readMs / reads, 2) : null,
      writeAwaitMs: writes > 0 ? roundTo(writeMs / writes, 2) : null,
      avgQueueDepth: roundTo(weighted / ms, 2),
      inFlight: b.inFlight,
    });
  }
  return out;
}
