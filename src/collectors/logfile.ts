/**
 * Tail and grep of allow-listed log files (see file-policy.ts for which files). Files are read BACKWARDS in
 * 64 KiB chunks from the end, newest file first (x.log, then with includeRotated x.log.1, x.log.2.gz, …), until
 * enough lines match; after that the scan goes on only to COUNT matches, within a byte budget, so the total is
 * true when the scan reached the start (or the `since` boundary) and a lower bound otherwise. `.gz` rotations are
 * gunzipped with a bounded compressed and decompressed size. Synchronous, never throws.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { AllowedFile } from './file-policy.js';
import { parseLineTime } from './log-time.js';

const CHUNK = 64 * 1024;
/** A longer line keeps its first MAX_LINE_BYTES bytes; the rest is counted as hidden. */
const MAX_LINE_BYTES = 16 * 1024;
export const MAX_GZ_COMPRESSED_BYTES = 8 * 1024 * 1024;
export const MAX_GZ_DECOMPRESSED_BYTES = 32 * 1024 * 1024;
/** With grep or since, bytes scanned after enough lines were found, only to count further matches. */
const DEFAULT_COUNT_BYTES = 2 * 1024 * 1024;
/** Lines without a timestamp held while looking for the timestamped line they continue. */
const MAX_PENDING = 2000;

export interface RawLine {
  file: string;
  /** 1-based line number in that file (decompressed for .gz), null when the scan did not reach the file start. */
  n: number | null;
  tsMs: number | null;
  text: string;
  /** Bytes of the line beyond MAX_LINE_BYTES, not read into text. */
  hiddenBytes: number;
}

export interface FileRead {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
  compressed: boolean;
  /** Bytes scanned (decompressed bytes for .gz). */
  scannedBytes: number;
  /** The scan reached the start of the file or the since boundary. */
  complete: boolean;
}

export interface TailOptions {
  lines: number;
  grep?: ((text: string) => boolean) | undefined;
  sinceMs?: number | undefined;
  /** Bytes scanned over all files before giving up (matched lines found by then are returned). */
  maxScanBytes: number;
  /** With grep or since: bytes scanned after `lines` matches were found, only to count more (default 2 MiB). */
  maxCountBytes?: number;
  nowMs: number;
}

export interface TailResult {
  /** Chronological (oldest first), at most `lines`. */
  lines: RawLine[];
  /** Matching lines seen (returned or only counted). */
  matched: number;
  /** matched is exact: every file was scanned to its start or to the since boundary. */
  exact: boolean;
  files: FileRead[];
  warnings: string[];
}

type ReadAt = (pos: number, len: number) => Buffer;

interface Source {
  size: number;
  readAt: ReadAt;
  close(): void;
}

function openSource(file: AllowedFile, warnings: string[]): Source | null {
  const gz = file.hostPath.endsWith('.gz');
  let fd: number;
  try {
    fd = openSync(file.abs, 'r');
  } catch (e) {
    warnings.push(`${file.hostPath}: cannot open (${(e as { code?: string }).code ?? 'EIO'})`);
    return null;
  }
  const readAt: ReadAt = (pos, len) => {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  };
  if (!gz) return { size: file.sizeBytes, readAt, close: () => closeSync(fd) };
  try {
    if (file.sizeBytes > MAX_GZ_COMPRESSED_BYTES) {
      warnings.push(`${file.hostPath}: compressed size ${file.sizeBytes} bytes is over ${MAX_GZ_COMPRESSED_BYTES}; skipped`);
      return null;
    }
    const data = gunzipSync(readAt(0, file.sizeBytes), { maxOutputLength: MAX_GZ_DECOMPRESSED_BYTES });
    return { size: data.length, readAt: (pos, len) => data.subarray(pos, pos + len), close: () => undefined };
  } catch (e) {
    const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    warnings.push(`${file.hostPath}: ${tooBig ? `decompresses to more than ${MAX_GZ_DECOMPRESSED_BYTES} bytes` : 'not a readable gzip file'}; skipped`);
    return null;
  } finally {
    if (gz) closeSync(fd);
  }
}

/**
 * Lines from the end towards the start: yields [text, hiddenBytes, startOffset]; `state.pos` is the offset scanned
 * down to and `state.scanned` the bytes read. The empty piece after a final newline is not a line.
 */
function* reverseLines(src: Source, state: { pos: number; scanned: number }, budget: () => boolean): Generator<[Buffer, number, number]> {
  let carry: Buffer = Buffer.alloc(0);
  let carryHidden = 0;
  let atEnd = true;
  while (state.pos > 0) {
    if (!budget()) return;
    const len = Math.min(CHUNK, state.pos);
    const chunk = src.readAt(state.pos - len, len);
    state.pos -= len;
    state.scanned += len;
    const buf = carry.length ? Buffer.concat([chunk, carry]) : chunk;
    let end = buf.length;
    let hidden = carryHidden;
    for (let nl = buf.lastIndexOf(0x0a, end - 1); nl !== -1; nl = end > 0 ? buf.lastIndexOf(0x0a, end - 1) : -1) {
      const line = buf.subarray(nl + 1, end);
      if (!(atEnd && line.length === 0)) {
        const over = Math.max(0, line.length - MAX_LINE_BYTES);
        yield [over ? line.subarray(0, MAX_LINE_BYTES) : line, hidden + over, state.pos + nl + 1];
      }
      atEnd = false;
      hidden = 0;
      end = nl;
    }
    carryHidden = hidden;
    const rest = buf.subarray(0, end);
    if (rest.length > 0) atEnd = false;
    if (rest.length > MAX_LINE_BYTES) carryHidden += rest.length - MAX_LINE_BYTES;
    carry = Buffer.from(rest.subarray(0, MAX_LINE_BYTES));
  }
  if (state.pos === 0 && src.size > 0) yield [carry, carryHidden, 0];
}

/** Newlines in [from, to) of a source, read in chunks (line numbers; the line count of an unfiltered tail). */
function countNewlines(src: Source, from: number, to: number): number {
  let count = 0;
  for (let at = from; at < to; at += CHUNK) {
    const b = src.readAt(at, Math.min(CHUNK, to - at));
    for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) count++;
  }
  return count;
}

/** Tails `files` (newest first) per the options. */
export function tailLogFiles(files: readonly AllowedFile[], opts: TailOptions): TailResult {
  const warnings: string[] = [];
  const out: RawLine[] = [];
  const reads: FileRead[] = [];
  let matched = 0;
  let scannedTotal = 0;
  let exact = true;
  let stop = false;
  for (const file of files) {
    if (stop) break;
    const src = openSource(file, warnings);
    if (!src) {
      exact = false;
      continue;
    }
    const state = { pos: src.size, scanned: 0 };
    const fileLines: RawLine[] = [];
    let reverseIndex = 0;
    let oldestStart = src.size;
    let pending: Array<{ r: number; text: string; hidden: number }> = [];
    let sawTime = false;
    let sinceOn = opts.sinceMs !== undefined;
    const consider = (r: number, text: string, hidden: number, tsMs: number | null | undefined) => {
      if (opts.grep && !opts.grep(text)) return;
      matched++;
      if (out.length + fileLines.length < opts.lines) {
        fileLines.push({ file: file.hostPath, n: -r - 1, tsMs: tsMs === undefined ? parseLineTime(text, opts.nowMs) : tsMs, text, hiddenBytes: hidden });
      }
    };
    const enough = () => out.length + fileLines.length >= opts.lines;
    let countFrom: number | null = enough() ? scannedTotal : null;
    const budget = () =>
      scannedTotal + state.scanned < opts.maxScanBytes && (countFrom === null || scannedTotal + state.scanned - countFrom < (opts.maxCountBytes ?? DEFAULT_COUNT_BYTES));
    let fast = false;
    try {
      for (const [buf, hidden, start] of reverseLines(src, state, budget)) {
        const r = reverseIndex++;
        oldestStart = start;
        const text = buf.toString('utf8');
        if (!sinceOn) {
          consider(r, text, hidden, undefined);
          if (enough()) {
            if (!opts.grep) {
              fast = true;
              break;
            }
            countFrom ??= scannedTotal + state.scanned;
          }
          continue;
        }
        const tsMs = parseLineTime(text, opts.nowMs);
        if (tsMs === null) {
          pending.push({ r, text, hidden });
          if (!sawTime && pending.length > MAX_PENDING) {
            warnings.push(`${file.hostPath}: no recognisable timestamp in the last ${MAX_PENDING} lines; since not applied to it`);
            sinceOn = false;
            for (const p of pending) consider(p.r, p.text, p.hidden, null);
            pending = [];
          }
        } else {
          sawTime = true;
          if (tsMs < opts.sinceMs!) {
            pending = [];
            stop = true;
            break;
          }
          for (const p of pending) consider(p.r, p.text, p.hidden, tsMs);
          pending = [];
          consider(r, text, hidden, tsMs);
          if (enough()) countFrom ??= scannedTotal + state.scanned;
        }
      }
      // Lines at the start of the file without a timestamp: continuations of the previous file's last line.
      for (const p of pending) consider(p.r, p.text, p.hidden, null);
      let before: number | null = null;
      if (fast) {
        // Unfiltered: every line counts, so the rest of the budget only counts newlines (memchr speed).
        const from = Math.max(0, oldestStart - Math.max(0, opts.maxScanBytes - scannedTotal - (src.size - oldestStart)));
        const extra = countNewlines(src, from, oldestStart);
        matched += extra;
        state.pos = from;
        state.scanned = src.size - from;
        if (from === 0) before = extra;
      } else if (oldestStart <= opts.maxScanBytes) before = countNewlines(src, 0, oldestStart);
      const complete = stop || state.pos === 0;
      if (!complete) exact = false;
      // Line numbers: from the newlines before the oldest line yielded, when that head is small enough to count.
      const oldestN = before === null ? null : before + 1;
      for (const l of fileLines) {
        const r = -(l.n as number) - 1;
        l.n = oldestN === null ? null : oldestN + (reverseIndex - 1 - r);
      }
      out.push(...fileLines);
      reads.push({ path: file.hostPath, sizeBytes: file.sizeBytes, mtimeMs: file.mtimeMs, compressed: file.hostPath.endsWith('.gz'), scannedBytes: state.scanned, complete });
      scannedTotal += state.scanned;
      if (!complete) {
        warnings.push(`scan stopped after ${scannedTotal} bytes (budget ${opts.maxScanBytes}, ${opts.maxCountBytes ?? DEFAULT_COUNT_BYTES} of them for counting once enough lines matched): matches before that point were not counted`);
        stop = true;
      }
    } catch (e) {
      exact = false;
      warnings.push(`${file.hostPath}: read failed (${(e as { code?: string }).code ?? String(e).slice(0, 80)})`);
    } finally {
      src.close();
    }
  }
  // out holds newest first within each file and files newest first: reverse into chronological order.
  out.reverse();
  return { lines: out, matched, exact, files: reads, warnings };
}
