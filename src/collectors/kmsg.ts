/**
 * /dev/kmsg reader: the kernel's structured log ring, one record per read(2):
 * `priority,sequence,usecSinceBoot,flags[,…];message\n` followed by ` KEY=value\n` dictionary lines.
 * The device is opened O_RDONLY|O_NONBLOCK and read until EAGAIN (never blocks); EPIPE means the record
 * under the read position was overwritten and the next read continues. Reads are bounded by a record count,
 * a byte count and a time budget. Under a fixture root dev/kmsg is a regular file with one record per line
 * (dictionary lines indented), read the same way. Wall time is btime (proc/stat) + usec since boot.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { readLine, readText, readTextDetailed } from './read.js';

interface KmsgRecord {
  /** syslog level 0 (emerg) … 7 (debug). */
  level: number;
  /** syslog facility: 0 = kernel; userspace writers to /dev/kmsg (systemd, …) use others. */
  facility: number;
  seq: number;
  usecSinceBoot: number;
  /** Epoch ms (btime + usec since boot), null when btime is unknown. */
  tsMs: number | null;
  message: string;
  /** SUBSYSTEM=…, DEVICE=… continuation lines. */
  dict: Record<string, string>;
}

interface KmsgReadOptions {
  /** Keep only records at or after this epoch ms (records without a time are kept). */
  sinceMs?: number;
  /** Keep only records this predicate accepts (the others are counted, not stored). */
  keep?: (r: KmsgRecord) => boolean;
  /** Stop after this many records (default 200,000). */
  maxRecords?: number;
  /** Stop after this many bytes (default 16 MiB). */
  maxBytes?: number;
  /** Stop after this long (default 500 ms: the read is synchronous). */
  budgetMs?: number;
  /** At most this many kept records; the oldest kept are dropped first (default 20,000). */
  maxKept?: number;
}

interface KmsgReadResult {
  /** false when dev/kmsg could not be opened (see error). */
  available: boolean;
  error: string | null;
  records: KmsgRecord[];
  recordsRead: number;
  bytesRead: number;
  /** Time of the oldest record read (what the ring still holds), epoch ms. */
  oldestMs: number | null;
  /** Records lost to overwrites while reading (EPIPE) or unparsable. */
  skipped: number;
  /** Why reading stopped before the end, if it did. */
  stopped: 'records' | 'bytes' | 'time' | null;
  /** Kept records dropped because more than maxKept matched. */
  droppedKept: number;
  /** btime from proc/stat (epoch seconds), null when unreadable. */
  btimeSec: number | null;
  warnings: string[];
}

const RECORD_BUFFER = 16 * 1024;
const HEADER = /^(\d{1,4}),(\d{1,20}),(\d{1,20}),[^;]*;(.*)$/s;

/** btime (boot time, epoch seconds) from proc/stat. */
export function readBtimeSec(ctx: CollectorContext): number | null {
  const text = readText(join(ctx.root, 'proc/stat'), 256 * 1024);
  const m = text === null ? null : /^btime (\d{1,12})$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** The host's "now" in epoch ms: btime + proc/uptime (the recorded moment under a fixture root), else the clock. */
export function hostNowMs(ctx: CollectorContext, btimeSec = readBtimeSec(ctx)): number {
  const up = readLine(join(ctx.root, 'proc/uptime'));
  const upSec = up === null ? NaN : Number(up.split(/\s+/)[0]);
  if (btimeSec === null || !Number.isFinite(upSec) || upSec < 0 || ctx.root === '/') return Date.now();
  return Math.round((btimeSec + upSec) * 1000);
}

/** One record's text (header line + dictionary lines); null when it does not parse. */
export function parseKmsgRecord(text: string, btimeSec: number | null): KmsgRecord | null {
  const nl = text.indexOf('\n');
  const head = nl < 0 ? text : text.slice(0, nl);
  const m = HEADER.exec(head);
  if (!m) return null;
  const prio = Number(m[1]);
  const seq = Number(m[2]);
  const usec = Number(m[3]);
  if (!Number.isSafeInteger(usec) || !Number.isSafeInteger(seq)) return null;
  const dict: Record<string, string> = {};
  if (nl >= 0) {
    for (const line of text.slice(nl + 1).split('\n')) {
      const d = /^ ([A-Z_]{1,32})=(.*)$/.exec(line);
      if (d) dict[d[1]!] = d[2]!;
    }
  }
  return {
    level: prio & 7,
    facility: prio >> 3,
    seq,
    usecSinceBoot: usec,
    tsMs: btimeSec === null ? null : btimeSec * 1000 + Math.floor(usec / 1000),
    message: m[4]!.replace(/\n$/, ''),
    dict,
  };
}

interface Accumulator {
  opts: Required<Omit<KmsgReadOptions, 'sinceMs' | 'keep'>> & Pick<KmsgReadOptions, 'sinceMs' | 'keep'>;
  res: KmsgReadResult;
  btimeSec: number | null;
}

function trimKept(acc: Accumulator): void {
  const over = acc.res.records.length - acc.opts.maxKept;
  if (over <= 0) return;
  acc.res.records.splice(0, over);
  acc.res.droppedKept += over;
}

/** Accounts one record's text; false when a bound says stop. */
function take(acc: Accumulator, text: string, bytes: number): boolean {
  const { res, opts } = acc;
  res.recordsRead += 1;
  res.bytesRead += bytes;
  const r = parseKmsgRecord(text, acc.btimeSec);
  if (!r) res.skipped += 1;
  else {
    if (r.tsMs !== null && (res.oldestMs === null || r.tsMs < res.oldestMs)) res.oldestMs = r.tsMs;
    const recent = opts.sinceMs === undefined || r.tsMs === null || r.tsMs >= opts.sinceMs;
    if (recent && (!opts.keep || opts.keep(r))) {
      res.records.push(r);
      // trim in batches (not one shift per record): keep at most 2× maxKept in memory, maxKept at the end
      if (res.records.length >= opts.maxKept * 2) trimKept(acc);
    }
  }
  if (res.recordsRead >= opts.maxRecords) res.stopped = 'records';
  else if (res.bytesRead >= opts.maxBytes) res.stopped = 'bytes';
  return res.stopped === null;
}

function readDevice(fd: number, acc: Accumulator, deadline: number): void {
  const buf = Buffer.allocUnsafe(RECORD_BUFFER);
  for (;;) {
    if (Date.now() > deadline) {
      acc.res.stopped = 'time';
      return;
    }
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EPIPE') {
        // overwritten under us: the next read returns the oldest surviving record (the deadline bounds a storm)
        acc.res.skipped += 1;
        continue;
      }
      if (code !== 'EAGAIN') acc.res.warnings.push(`dev/kmsg read stopped: ${code ?? 'error'}`);
      return;
    }
    if (n === 0) return;
    if (!take(acc, buf.toString('utf8', 0, n), n)) return;
  }
}

function readRegularFile(path: string, acc: Accumulator): void {
  const r = readTextDetailed(path, acc.opts.maxBytes);
  if (r.text === null) {
    acc.res.warnings.push(`dev/kmsg could not be read: ${r.error}`);
    return;
  }
  if (r.truncated) acc.res.stopped = 'bytes';
  const lines = r.text.split('\n');
  if (r.truncated) lines.pop(); // the last line may be cut mid-record
  let current: string | null = null;
  for (const line of lines) {
    if (line.startsWith(' ') && current !== null) {
      current += `\n${line}`;
      continue;
    }
    if (current !== null && !take(acc, current, Buffer.byteLength(current) + 1)) return;
    current = line === '' ? null : line;
  }
  if (current !== null) take(acc, current, Buffer.byteLength(current) + 1);
}

/** Reads dev/kmsg under ctx.root within the bounds; never blocks, never throws. */
export function readKmsg(ctx: CollectorContext, options: KmsgReadOptions = {}): KmsgReadResult {
  const btimeSec = readBtimeSec(ctx);
  const res: KmsgReadResult = {
    available: false,
    error: null,
    records: [],
    recordsRead: 0,
    bytesRead: 0,
    oldestMs: null,
    skipped: 0,
    stopped: null,
    droppedKept: 0,
    btimeSec,
    warnings: [],
  };
  const opts = { maxRecords: 200_000, maxBytes: 16 * 1024 * 1024, budgetMs: 500, maxKept: 20_000, ...options };
  const acc: Accumulator = { opts, res, btimeSec };
  if (btimeSec === null) res.warnings.push('btime not readable from proc/stat: kernel message times are unknown');
  const path = join(ctx.root, 'dev/kmsg');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    res.error = (e as { code?: string }).code ?? 'EIO';
    return res;
  }
  try {
    res.available = true;
    if (fstatSync(fd).isCharacterDevice()) readDevice(fd, acc, Date.now() + opts.budgetMs);
    else readRegularFile(path, acc);
  } catch (e) {
    res.warnings.push(`dev/kmsg read failed: ${(e as { code?: string }).code ?? 'error'}`);
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* ignore */
    }
  }
  trimKept(acc);
  if (res.stopped) res.warnings.push(`dev/kmsg: reading stopped at the ${res.stopped} bound after ${res.recordsRead} records; later records were not read`);
  if (res.droppedKept > 0) res.warnings.push(`dev/kmsg: ${res.droppedKept} older matching records dropped to keep the newest ${opts.maxKept}`);
  return res;
}
