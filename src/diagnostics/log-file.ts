/**
 * read_log_file: the tail of one allow-listed log (services.limits.logFiles; rotations x.1, x.2.gz, … follow their
 * base), optionally with its rotations, filtered by a case-insensitive literal and a since time. Lines are
 * redacted and clipped; the list is fitted to the result budget by dropping the OLDEST lines, so the newest
 * always come back. Counts: `matchedCount` lines matched in what was scanned (exact when `matchedExact`). A log that
 * merely contains a private key is read with the key's lines masked (log-pem.ts); a key FILE is refused by the policy.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { listRotations, openAllowedFile } from '../collectors/file-policy.js';
import type { AllowList } from '../collectors/file-policy.js';
import { tailLogFiles } from '../collectors/logfile.js';
import type { LogInput } from '../collectors/logfile.js';
import { clipString, epochSecToRfc3339 } from '../collectors/read.js';
import { parseTime } from '../util/time-arg.js';
import { PEM_MASK, pemMaskedLines } from './log-pem.js';
import { redact } from '../redaction/redact.js';

/** Bytes scanned over all files per call (decompressed bytes for .gz). */
export const MAX_SCAN_BYTES = 8 * 1024 * 1024;
const MAX_LINE_CHARS = 2000;

export const logFileDataSchema = z.object({
  file: z.object({
    /** the path as asked (normalised) */
    path: z.string(),
    /** the file read, after realpath */
    resolvedPath: z.string(),
    sizeBytes: z.number().int().nonnegative(),
    /** RFC 3339 UTC */
    mtime: z.string(),
  }),
  /** oldest first; the newest lines are always kept */
  lines: z
    .array(
      z.object({
        /** line number in its file (decompressed for .gz); null when the file is too large to count */
        n: z.number().int().positive().nullable(),
        /** the file the line came from (a rotation when includeRotated) */
        file: z.string(),
        /** RFC 3339 UTC timestamp recognised in the line (with since, a continuation line takes that of the line above); null when none */
        ts: z.string().nullable(),
        /** redacted, clipped with …[+N chars] */
        text: z.string(),
      }),
    ),
  filesRead: z.array(
    z.object({
      path: z.string(),
      sizeBytes: z.number().int().nonnegative(),
      mtime: z.string(),
      compressed: z.boolean(),
      /** bytes read from the end (decompressed for .gz) */
      scannedBytes: z.number().int().nonnegative(),
      /** the scan reached the start of the file or the since boundary */
      complete: z.boolean(),
    }),
  ),
  /** lines matching grep/since in what was scanned (returned or not) */
  matchedCount: z.number().int().nonnegative(),
  /** true when every file was scanned to its start or the since boundary, so matchedCount is the true total; else a lower bound */
  matchedExact: z.boolean(),
  /** secrets redacted in the returned lines */
  redactionCount: z.number().int().nonnegative(),
});
type LogFileData = z.infer<typeof logFileDataSchema>;

interface LogFileQuery {
  path: string;
  lines: number;
  grep?: string | undefined;
  since?: string | undefined;
  includeRotated: boolean;
}

type LogFileRead =
  | { data: LogFileData; truncated?: { returned: number; total: number }; warnings: string[] }
  | { error: string };

function logAllowList(services: HostInputs): AllowList {
  return { name: 'logFiles', globs: services.limits.logFiles, rotations: true };
}

const rfc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function readLogFile(services: HostInputs, q: LogFileQuery, nowMs = Date.now(), signal?: AbortSignal): Promise<LogFileRead> {
  const sinceMs = q.since === undefined ? undefined : parseTime(q.since, nowMs, 'since');
  const list = logAllowList(services);
  const policy = { content: 'log' as const, ...(services.protectedFiles ? { protect: services.protectedFiles } : {}) };
  const base = openAllowedFile(services.collectors, q.path, list, policy);
  if ('error' in base) return base;
  const warnings: string[] = [];
  const files: LogInput[] = [base];
  if (q.includeRotated) {
    for (const hostPath of listRotations(services.collectors, base)) files.push({ hostPath, open: () => openAllowedFile(services.collectors, hostPath, list, policy) });
  }
  const needle = q.grep?.toLowerCase();
  const tail = await tailLogFiles(files, {
    lines: q.lines,
    grep: needle === undefined ? undefined : (text: string) => text.toLowerCase().includes(needle),
    sinceMs,
    maxScanBytes: MAX_SCAN_BYTES,
    nowMs,
    ...(signal ? { signal } : {}),
  });
  const skipped = tail.warnings.filter((w) => w.startsWith('rotation skipped: '));
  warnings.push(...tail.warnings.filter((w) => !w.startsWith('rotation skipped: ')), ...skipped.slice(0, 5));
  if (skipped.length > 5) warnings.push(`${skipped.length - 5} more rotation(s) skipped`);
  // Lines of a logged private key, masked whole before the redactor sees them one by one.
  const masked = pemMaskedLines(tail.lines.map((l) => l.text));
  // Newest first: redact and clip until the result budget (less ~3 KiB for the envelope and the other fields) is
  // full, so the oldest lines are the ones left out and lines that cannot fit are never redacted.
  const budget = services.limits.maxResultBytes - 3072;
  const lines: LogFileData['lines'] = [];
  let redactionCount = 0;
  let bytes = 0;
  for (let i = tail.lines.length - 1; i >= 0; i--) {
    const l = tail.lines[i]!;
    const mask = masked[i] || l.inKeyBlock;
    const r = mask ? { text: PEM_MASK, count: 1 } : redact(l.text);
    const line = { n: l.n, file: l.file, ts: l.tsMs === null ? null : rfc(l.tsMs), text: clipString(r.text, MAX_LINE_CHARS, mask ? 0 : l.hiddenBytes) };
    const cost = Buffer.byteLength(JSON.stringify(line)) + 1;
    if (lines.length > 0 && bytes + cost > budget) break;
    bytes += cost;
    redactionCount += r.count;
    lines.push(line);
  }
  lines.reverse();
  const dropped = tail.lines.length - lines.length;
  if (dropped > 0) warnings.push(`${dropped} older line(s) left out to fit maxResultBytes (${services.limits.maxResultBytes}); ask for fewer lines or narrow with grep/since`);
  if (!tail.exact) warnings.push(`matchedCount ${tail.matched} is a lower bound: not every file was scanned to its start (scan budget ${MAX_SCAN_BYTES} bytes)`);
  const data: LogFileData = {
    file: { path: base.requested, resolvedPath: base.hostPath, sizeBytes: base.sizeBytes, mtime: epochSecToRfc3339(base.mtimeMs / 1000) },
    lines,
    filesRead: tail.files.map((f) => ({
      path: f.path,
      sizeBytes: f.sizeBytes,
      mtime: epochSecToRfc3339(f.mtimeMs / 1000),
      compressed: f.compressed,
      scannedBytes: f.scannedBytes,
      complete: f.complete,
    })),
    matchedCount: tail.matched,
    matchedExact: tail.exact,
    redactionCount,
  };
  const truncated = lines.length < tail.matched ? { returned: lines.length, total: tail.matched } : undefined;
  return { data, ...(truncated ? { truncated } : {}), warnings };
}
