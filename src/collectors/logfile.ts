/**
 * Tail and grep of allow-listed log files (see file-policy.ts for which files). Files are read BACKWARDS in
 * 64 KiB chunks from the end, newest file first (x.log, then with includeRotated x.log.1, x.log.2.gz, …), until
 * enough lines match; after that the scan goes on only to COUNT matches, within a byte budget, so the total is
 * true when the scan reached the start (or the `since` boundary) and a lower bound otherwise. Every read is a pread
 * on the descriptor the policy checked (never a second open). Rotations are opened (and checked) only when the scan
 * reaches them. `.gz` rotations are gunzipped off the event loop (gunzip-bounded.ts) within a per-file and a
 * per-call budget of decompressed bytes, keeping only the tail the scan can reach. The line scan and the newline
 * counts yield to the event loop every SLICE_MS, so a call never holds it long whatever the file. Never rejects
 * except on abort.
 */
import { sliceClock } from '../util/slices.js';
import { closeFile, contentDenyReason, CONTENT_CHECK_BYTES } from './file-policy.js';
import type { OpenResult, OpenedFile } from './file-policy.js';
import { countNewlines as countBufferNewlines, gunzipTail } from './gunzip-bounded.js';
import { decodeLine, KEEP_LINE_BYTES } from './log-lines.js';
import { parseLineTime } from './log-time.js';
import { preadFully } from './safe-open.js';

const CHUNK = 64 * 1024;
const MAX_GZ_COMPRESSED_BYTES = 8 * 1024 * 1024;
/**
 * Inflated bytes per .gz rotation and per call. The scan reads at most maxScanBytes (8 MiB) of text per call over
 * all files, and only the tail of each rotation is kept (gunzip-bounded.ts), so memory no longer grows with these
 * budgets; what they bound is the inflate work (≈ 4 ms of CPU per MiB here: 16 MiB ≈ 60 ms on a pool thread) and the
 * 64 KiB output buffers thrown away per MiB, which is what forced the collections. 16 MiB holds a rotation whose
 * text is twice the scan budget (≈ 1.8 MB compressed at the 8.9:1 of a syslog), so the last 8 MiB of any rotation
 * that size can be read; a bigger rotation is skipped with a warning. Per call, twice that, so one bomb with a forged
 * size does not starve the older rotations; 64 MiB per call (the earlier figure) bought nothing a 1,000-line tail can
 * use and cost twice the garbage: 8 concurrent calls threw away 512 MiB instead of 256 MiB.
 */
const MAX_GZ_DECOMPRESSED_BYTES = 16 * 1024 * 1024;
export const MAX_GZ_TOTAL_BYTES = 32 * 1024 * 1024;
/** The first and last line of a private key block (PEM, PuTTY). */
export const KEY_BLOCK_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-\d/;
export const KEY_BLOCK_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----|Private-MAC:/;
/** Longest key block followed back from its END (a 16384-bit RSA key is ≈ 200 lines of 64 characters). */
export const MAX_KEY_BLOCK_LINES = 260;

/**
 * Read backwards, a line is inside a key block when an END line was seen after it and its BEGIN not yet. Tracked
 * during the scan so grep cannot pull a body line out of its block unmasked.
 */
function keyBlockTracker(): (text: string) => boolean {
  let inside = 0;
  return (text) => {
    if (KEY_BLOCK_BEGIN.test(text)) {
      inside = 0;
      return false;
    }
    if (KEY_BLOCK_END.test(text)) {
      inside = 1;
      return false;
    }
    if (inside === 0) return false;
    if (inside++ > MAX_KEY_BLOCK_LINES) inside = 0;
    return inside > 0;
  };
}

/** The line scan yields to the event loop when it has run this long (ms) since the last yield. */
const SLICE_MS = 10;
/** With grep or since, bytes scanned after enough lines were found, only to count further matches. */
const DEFAULT_COUNT_BYTES = 2 * 1024 * 1024;
/** Lines without a timestamp held while looking for the timestamped line they continue. */
const MAX_PENDING = 2000;

interface RawLine {
  file: string;
  /** 1-based line number in that file (decompressed for .gz), null when the scan did not reach the file start. */
  n: number | null;
  tsMs: number | null;
  text: string;
  /** Bytes of the line beyond MAX_LINE_BYTES, not read into text. */
  hiddenBytes: number;
  /** The line lies between a private key's BEGIN and END lines in the file (it must be masked whole). */
  inKeyBlock: boolean;
}

interface FileRead {
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
  /** Decompressed bytes over all .gz files of this call (default MAX_GZ_TOTAL_BYTES). */
  maxGzTotalBytes?: number;
  signal?: AbortSignal;
}

/** A file to tail: already opened by the policy, or opened (and checked) only when the scan reaches it. */
export type LogInput = OpenedFile | { hostPath: string; open: () => OpenResult };

interface TailResult {
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
  file: OpenedFile;
  size: number;
  /** Bytes below this offset are not held (the dropped head of a gunzipped rotation; 0 for a plain file). */
  base: number;
  /** Newlines in [0, base); null when not counted. */
  baseNewlines: number | null;
  readAt: ReadAt;
  /** Closes the descriptor once (a .gz was closed already, when it was inflated). */
  close(): void;
}

interface GzBudget {
  left: number;
  skipped: number;
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

/** Opens (when lazy) and prepares one input; null (with a warning) when it is refused or unreadable. Closes the fd of a .gz. */
async function openSource(input: LogInput, warnings: string[], gz: GzBudget, keepBytes: number, signal?: AbortSignal): Promise<Source | null> {
  let file: OpenedFile;
  if ('fd' in input) file = input;
  else {
    const r = input.open();
    if ('error' in r) {
      warnings.push(`rotation skipped: ${input.hostPath}: ${r.error}`);
      return null;
    }
    file = r;
  }
  const fd = file.fd;
  if (!file.hostPath.endsWith('.gz')) return { file, size: file.sizeBytes, base: 0, baseNewlines: 0, readAt: (pos, len) => preadFully(fd, pos, len), close: () => closeFile(file) };
  try {
    if (file.sizeBytes > MAX_GZ_COMPRESSED_BYTES) {
      warnings.push(`${file.hostPath}: compressed size ${file.sizeBytes} bytes is over ${MAX_GZ_COMPRESSED_BYTES}; skipped`);
      return null;
    }
    const cap = Math.min(MAX_GZ_DECOMPRESSED_BYTES, gz.left);
    if (cap <= 0) {
      gz.skipped++;
      return null;
    }
    const input = preadFully(fd, 0, file.sizeBytes);
    // The trailer holds the last member's size (mod 2^32): over the cap, the whole is too, so skip it uninflated.
    // A smaller figure proves nothing (it can be forged, or there are several members): the inflate stops at the cap.
    if (input.length >= 18 && input.readUInt32LE(input.length - 4) > MAX_GZ_DECOMPRESSED_BYTES) {
      warnings.push(`${file.hostPath}: decompresses to more than ${MAX_GZ_DECOMPRESSED_BYTES} bytes; skipped`);
      return null;
    }
    const r = await gunzipTail(input, { maxBytes: cap, keepBytes, headBytes: CONTENT_CHECK_BYTES, countBytes: keepBytes }, signal);
    if (!r.ok) {
      gz.left -= r.inflatedBytes;
      if (r.reason === 'corrupt') warnings.push(`${file.hostPath}: not a readable gzip file; skipped`);
      else if (cap === MAX_GZ_DECOMPRESSED_BYTES) warnings.push(`${file.hostPath}: decompresses to more than ${MAX_GZ_DECOMPRESSED_BYTES} bytes; skipped`);
      else gz.skipped++;
      return null;
    }
    gz.left -= r.size;
    // The policy checked the compressed head; the rules are about the content.
    const denied = contentDenyReason(r.head, 'log');
    if (denied) {
      warnings.push(`${file.hostPath}: denied: ${denied} (built-in deny-list; config cannot lift it); skipped`);
      return null;
    }
    const { tail, size } = r;
    const base = size - tail.length;
    const readAt = (pos: number, len: number): Buffer => {
      if (pos < base) throw new Error('read below the kept tail');
      return tail.subarray(pos - base, pos - base + len);
    };
    return { file, size, base, baseNewlines: r.droppedNewlines, readAt, close: () => undefined };
  } finally {
    closeFile(file);
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
        const over = Math.max(0, line.length - KEEP_LINE_BYTES);
        yield [over ? line.subarray(0, KEEP_LINE_BYTES) : line, hidden + over, state.pos + nl + 1];
      }
      atEnd = false;
      hidden = 0;
      end = nl;
    }
    carryHidden = hidden;
    const rest = buf.subarray(0, end);
    if (rest.length > 0) atEnd = false;
    if (rest.length > KEEP_LINE_BYTES) carryHidden += rest.length - KEEP_LINE_BYTES;
    carry = Buffer.from(rest.subarray(0, KEEP_LINE_BYTES));
  }
  if (state.pos === 0 && src.size > 0) yield [carry, carryHidden, 0];
}

/**
 * Newlines in [from, to) of a source, read in chunks (line numbers; the line count of an unfiltered tail). Up to
 * 8 MiB of newlines costs ≈ 115 ms of indexOf calls, so it yields between chunks (≤ 1 ms each).
 */
async function countNewlines(src: Source, from: number, to: number, slice: () => Promise<void>): Promise<number> {
  let count = 0;
  for (let at = from; at < to; at += CHUNK) {
    await slice();
    count += countBufferNewlines(src.readAt(at, Math.min(CHUNK, to - at)));
  }
  return count;
}

/** Tails `files` (newest first) per the options. */
export async function tailLogFiles(files: readonly LogInput[], opts: TailOptions): Promise<TailResult> {
  const warnings: string[] = [];
  const out: RawLine[] = [];
  const reads: FileRead[] = [];
  let matched = 0;
  let scannedTotal = 0;
  let exact = true;
  let stop = false;
  const gz: GzBudget = { left: opts.maxGzTotalBytes ?? MAX_GZ_TOTAL_BYTES, skipped: 0 };
  const clock = sliceClock({ sliceMs: SLICE_MS, stepsPerCheck: 1 });
  const slice = async (): Promise<void> => {
    const turn = clock.tick();
    if (turn === undefined) return;
    await turn;
    if (opts.signal?.aborted) throw abortError(opts.signal);
  };
  /** Inputs handed to openSource so far: it (or the scan) closes them; the rest are closed below. */
  let owned = 0;
  try {
    for (let next = 0; next < files.length; next++) {
      if (stop) break;
      await slice();
      owned = next + 1;
      // A rotation's tail is kept as far as the scan can still read (plus the chunk it may read past the budget).
      const src = await openSource(files[next]!, warnings, gz, Math.max(0, opts.maxScanBytes - scannedTotal) + CHUNK, opts.signal);
      if (!src) {
        exact = false;
        continue;
      }
      const file = src.file;
      await scanOne(src, file);
    }
  } finally {
    // Inputs the scan never reached (enough lines, since boundary, abort) are closed unread.
    for (let i = owned; i < files.length; i++) {
      const f = files[i]!;
      if ('fd' in f) closeFile(f);
    }
  }
  if (gz.skipped > 0) warnings.push(`decompression budget of ${opts.maxGzTotalBytes ?? MAX_GZ_TOTAL_BYTES} bytes per call used up: ${gz.skipped} compressed rotation(s) not read`);
  // out holds newest first within each file and files newest first: reverse into chronological order.
  out.reverse();
  return { lines: out, matched, exact, files: reads, warnings };

  async function scanOne(src: Source, file: OpenedFile): Promise<void> {
    const state = { pos: src.size, scanned: 0 };
    const fileLines: RawLine[] = [];
    let reverseIndex = 0;
    let oldestStart = src.size;
    let pending: Array<{ r: number; text: string; hidden: number; key: boolean }> = [];
    const inKeyBlock = keyBlockTracker();
    let sawTime = false;
    let sinceOn = opts.sinceMs !== undefined;
    const consider = (r: number, text: string, hidden: number, tsMs: number | null | undefined, key: boolean) => {
      if (opts.grep && !opts.grep(text)) return;
      matched++;
      if (out.length + fileLines.length < opts.lines) {
        fileLines.push({ file: file.hostPath, n: -r - 1, tsMs: tsMs === undefined ? parseLineTime(text, opts.nowMs) : tsMs, text, hiddenBytes: hidden, inKeyBlock: key });
      }
    };
    const enough = () => out.length + fileLines.length >= opts.lines;
    let countFrom: number | null = enough() ? scannedTotal : null;
    const budget = () =>
      scannedTotal + state.scanned < opts.maxScanBytes && (countFrom === null || scannedTotal + state.scanned - countFrom < (opts.maxCountBytes ?? DEFAULT_COUNT_BYTES));
    let fast = false;
    try {
      for (const [buf, cutBytes, start] of reverseLines(src, state, budget)) {
        if ((reverseIndex & 255) === 0) await slice();
        const r = reverseIndex++;
        oldestStart = start;
        const [text, hidden] = decodeLine(buf, cutBytes);
        const key = inKeyBlock(text);
        if (!sinceOn) {
          consider(r, text, hidden, undefined, key);
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
          pending.push({ r, text, hidden, key });
          if (!sawTime && pending.length > MAX_PENDING) {
            warnings.push(`${file.hostPath}: no recognisable timestamp in the last ${MAX_PENDING} lines; since not applied to it`);
            sinceOn = false;
            for (const p of pending) consider(p.r, p.text, p.hidden, null, p.key);
            pending = [];
          }
        } else {
          sawTime = true;
          if (tsMs < opts.sinceMs!) {
            pending = [];
            stop = true;
            break;
          }
          for (const p of pending) consider(p.r, p.text, p.hidden, tsMs, p.key);
          pending = [];
          consider(r, text, hidden, tsMs, key);
          if (enough()) countFrom ??= scannedTotal + state.scanned;
        }
      }
      // Lines at the start of the file without a timestamp: continuations of the previous file's last line.
      for (const p of pending) consider(p.r, p.text, p.hidden, null, p.key);
      let before: number | null = null;
      if (fast) {
        // Unfiltered: every line counts, so the rest of the budget only counts newlines (memchr speed).
        let from = Math.max(src.base, oldestStart - Math.max(0, opts.maxScanBytes - scannedTotal - (src.size - oldestStart)));
        // A kept tail is at most a chunk longer than the budget: count it whole, the dropped head's count is known.
        if (src.base > 0 && from - src.base <= CHUNK) from = src.base;
        const extra = await countNewlines(src, from, oldestStart, slice);
        matched += extra;
        state.pos = from;
        state.scanned = src.size - from;
        if (from === src.base && src.baseNewlines !== null) before = src.baseNewlines + extra;
      } else if (src.base > 0) {
        if (src.baseNewlines !== null) before = src.baseNewlines + (await countNewlines(src, src.base, oldestStart, slice));
      } else if (oldestStart <= opts.maxScanBytes) before = await countNewlines(src, 0, oldestStart, slice);
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
      if (opts.signal?.aborted) throw e;
      exact = false;
      warnings.push(`${file.hostPath}: read failed (${(e as { code?: string }).code ?? String(e).slice(0, 80)})`);
    } finally {
      src.close();
    }
  }
}
