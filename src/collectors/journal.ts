/**
 * journald through `journalctl -o json` (run by runProgram: fixed argv, no shell, timeout, output cap).
 *
 * Every filter is validated here and turned into ONE `--option=value` argv element, so no value can
 * be read as another option and nothing reaches a shell. Choices made:
 * - newest first (`--reverse`), bounded by `--lines=<maxScan>` (≤ 20,000) and a 16 MiB output cap;
 * - `kernel: true` is the match `_TRANSPORT=kernel`, NOT `-k` (which would also imply the current
 *   boot): pass `boot: 0` for that;
 * - `grep` is applied here, in JS, to MESSAGE as a case-insensitive LITERAL substring (≤ 200 chars):
 *   never a regex handed to journalctl (no PCRE2 dependency, no catastrophic patterns);
 * - the output is parsed as it arrives (journal-lines.ts) and each entry handed to a sink (scanJournal),
 *   so a caller keeps only what it returns; queryJournal is the sink that keeps every entry;
 * - `matched` counts the entries journalctl produced (after grep) before any paging: the true total
 *   within the scan; `scanLimited` says the scan itself was cut by --lines or the output cap;
 * - `countJournal` gives the true total beyond the scan (up to 200,000) without messages: one
 *   `--output=cat --output-fields=_BOOT_ID` line per entry (journald stamps _BOOT_ID on every entry).
 * Used by search_logs, get_kernel_events and recent_changes.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HostlensError } from '../contracts/errors.js';
import { parseTime } from '../util/time-arg.js';
import { describeRunFailure, runProgram } from './exec.js';
import type { RunResult } from './exec.js';
import { JournalLineStream, PRIORITY_NAMES } from './journal-lines.js';
import type { JournalEntry } from './journal-lines.js';

/** Where the journal lives: the host root and the configured journal directory (null = the system journal). */
interface JournalHost {
  collectors: { root: string };
  limits: { journalDirectory: string | null };
}

export { PRIORITY_NAMES, parseJournalLine, parseJournalOutput } from './journal-lines.js';
export type { JournalEntry } from './journal-lines.js';

export const MAX_SCAN = 20_000;
export const DEFAULT_SCAN = 5_000;
export const MAX_UNITS = 10;
export const MAX_GREP_CHARS = 200;
const TIMEOUT_MS = 5_000;
const MAX_COUNT = 200_000;
/** ~470 bytes of JSON per entry: 20,000 entries fit. */
const OUTPUT_CAP = 16 * 1024 * 1024;
/** journalctl prints only the fields asked for (plus __REALTIME_TIMESTAMP, __CURSOR, __MONOTONIC_TIMESTAMP, _BOOT_ID). */
const JOURNAL_FIELDS = ['MESSAGE', 'PRIORITY', '_SYSTEMD_UNIT', 'UNIT', 'SYSLOG_IDENTIFIER', '_COMM', '_PID', '_TRANSPORT', '_BOOT_ID'] as const;
export type JournalField = (typeof JOURNAL_FIELDS)[number];

/** A unit name or glob: systemd's unit-name characters plus * and ?; never starting with '-'. */
const UNIT_RE = /^[A-Za-z0-9:_.\\@*?][A-Za-z0-9:_.\\@*?-]{0,255}$/;
const IDENTIFIER_RE = /^[A-Za-z0-9_.@:/+][A-Za-z0-9_.@:/+-]{0,127}$/;
const BOOT_RE = /^(?:0|-[1-9][0-9]?|[0-9a-f]{32})$/;
const PRIORITY_RE = new RegExp(`^(${PRIORITY_NAMES.join('|')}|[0-7])(?:\\.\\.(${PRIORITY_NAMES.join('|')}|[0-7]))?$`);

export interface JournalQuery {
  /** "now", relative ("-15m", "-2h", "-1d") or RFC 3339; default: no lower bound (the scan bound still applies). */
  since?: string | undefined;
  until?: string | undefined;
  units?: readonly string[] | undefined;
  /** "err" = emerg..err (that level and more severe); "warning..err" or "3..4" = that range. */
  priority?: string | undefined;
  identifier?: string | undefined;
  /** Only kernel messages (_TRANSPORT=kernel). */
  kernel?: boolean | undefined;
  /** 0 = the newest boot in the journal, -1 the one before, or a 32-hex boot id. */
  boot?: string | number | undefined;
  /** Case-insensitive literal substring of MESSAGE, applied after journalctl. */
  grep?: string | undefined;
  /** Newest entries to read (--lines), 1–20,000; default 5,000. */
  maxScan?: number | undefined;
}

export interface JournalScan {
  /** false: journalctl is missing or there is no journal to read; `reason` says which. */
  available: boolean;
  reason: string | null;
  /** Entries journalctl produced that passed grep: the true total within the scan. */
  matched: number;
  /** Entries journalctl produced (before grep). */
  scanned: number;
  /** The scan hit --lines (more older entries may match) or the output cap. */
  scanLimited: boolean;
  truncatedByCap: boolean;
  /** journalctl was stopped by its time limit, the output cap or cancellation. */
  stopped: RunResult['stopped'];
  /** Lines that were not a journal JSON object. */
  garbageLines: number;
  argv: string[];
  warnings: string[];
  /** Newest and oldest entry that passed grep. */
  newestAt: string | null;
  oldestAt: string | null;
}

interface JournalResult extends JournalScan {
  /** Newest first. */
  entries: JournalEntry[];
}

export interface QueryOptions {
  signal?: AbortSignal;
  /** Stand-in executable for tests. */
  executable?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  nowMs?: number;
  /**
   * The fields journalctl prints (default all of JOURNAL_FIELDS); MESSAGE is added for grep. Facets need no
   * MESSAGE and patterns only MESSAGE: of 20,000 entries' 9.1 MB of JSON, facets read 6.6 MB, patterns 7.1 MB
   * (__CURSOR, ≈ 150 bytes an entry, is printed whatever is asked).
   */
  fields?: readonly JournalField[];
}

function priorityNumber(p: string): number {
  const i = (PRIORITY_NAMES as readonly string[]).indexOf(p);
  return i >= 0 ? i : Number(p);
}

/** "YYYY-MM-DD HH:MM:SS.ffffff UTC" — the systemd.time form journalctl parses unambiguously. */
function journalTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-31T13:45:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC`;
}

/** Validates every filter; throws an invalid_argument HostlensError naming the bad one. Returns the filter argv (no program, no directory). */
export function journalFilterArgs(q: JournalQuery, nowMs = Date.now()): string[] {
  const args: string[] = [];
  let sinceMs: number | null = null;
  if (q.since !== undefined) {
    sinceMs = parseTime(q.since, nowMs, 'since');
    args.push(`--since=${journalTime(sinceMs)}`);
  }
  if (q.until !== undefined) {
    const untilMs = parseTime(q.until, nowMs, 'until');
    if (sinceMs !== null && untilMs <= sinceMs) throw new HostlensError('invalid_argument', 'until must be after since');
    args.push(`--until=${journalTime(untilMs)}`);
  }
  if (q.boot !== undefined) {
    const raw = String(q.boot).trim().toLowerCase();
    const b = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(raw) ? raw.replace(/-/g, '') : raw;
    if (!BOOT_RE.test(b)) throw new HostlensError('invalid_argument', `boot "${String(q.boot).slice(0, 40)}" is not valid: use 0 (newest boot), -1 … -99 (earlier boots) or a 32-hex boot id`);
    args.push(`--boot=${b}`);
  }
  if (q.priority !== undefined) {
    const m = PRIORITY_RE.exec(q.priority.trim().toLowerCase());
    if (!m) throw new HostlensError('invalid_argument', `priority "${q.priority.slice(0, 40)}" is not valid: use a level (${PRIORITY_NAMES.join(', ')} or 0–7) meaning that level and more severe, or a range like "warning..err"`);
    const a = priorityNumber(m[1]!);
    const b = m[2] === undefined ? 0 : priorityNumber(m[2]);
    args.push(`--priority=${Math.min(a, b)}..${Math.max(a, b)}`);
  }
  if (q.units !== undefined) {
    if (q.units.length > MAX_UNITS) throw new HostlensError('invalid_argument', `at most ${MAX_UNITS} units`);
    for (const u of q.units) {
      if (!UNIT_RE.test(u)) throw new HostlensError('invalid_argument', `unit "${u.slice(0, 64)}" is not a valid unit name (letters, digits, ":_.\\@-", globs * ?)`);
      args.push(`--unit=${u}`);
    }
  }
  if (q.identifier !== undefined) {
    if (!IDENTIFIER_RE.test(q.identifier)) throw new HostlensError('invalid_argument', `identifier "${q.identifier.slice(0, 64)}" is not valid (letters, digits, "_.@:/+-")`);
    args.push(`--identifier=${q.identifier}`);
  }
  if (q.grep !== undefined && (q.grep.length === 0 || q.grep.length > MAX_GREP_CHARS)) throw new HostlensError('invalid_argument', `grep must be 1–${MAX_GREP_CHARS} characters`);
  if (q.kernel === true) {
    if (q.units !== undefined && q.units.length > 0) throw new HostlensError('invalid_argument', 'kernel messages belong to no unit: pass kernel or units, not both');
    args.push('_TRANSPORT=kernel');
  }
  return args;
}

/** The whole journalctl argv for a query against `directory` (null = the system journal). */
export function journalArgv(q: JournalQuery, directory: string | null, nowMs = Date.now(), fields: readonly JournalField[] = JOURNAL_FIELDS): string[] {
  const scan = q.maxScan ?? DEFAULT_SCAN;
  if (!Number.isInteger(scan) || scan < 1 || scan > MAX_SCAN) throw new HostlensError('invalid_argument', `maxScan must be an integer 1–${MAX_SCAN}`);
  const filters = journalFilterArgs(q, nowMs);
  const printed = JOURNAL_FIELDS.filter((f) => fields.includes(f) || (f === 'MESSAGE' && q.grep !== undefined));
  return [
    '--output=json',
    '--no-pager',
    '--utc',
    '--all',
    '--reverse',
    `--output-fields=${(printed.length > 0 ? printed : ['PRIORITY']).join(',')}`,
    `--lines=${scan}`,
    ...(directory === null ? [] : [`--directory=${directory}`]),
    ...filters,
  ];
}

function hasJournalFiles(dir: string, depth = 2, budget = { left: 512 }): boolean {
  let names;
  try {
    names = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const d of names) {
    if (budget.left-- <= 0) return false;
    if (d.isFile() && (d.name.endsWith('.journal') || d.name.endsWith('.journal~'))) return true;
    if (d.isDirectory() && depth > 0 && hasJournalFiles(join(dir, d.name), depth - 1, budget)) return true;
  }
  return false;
}

/**
 * Which journal to read: config's journalDirectory (under the collector root), else for a fixture root its
 * var/log/journal, else the system journal. Null `directory` = system journal; `present` false = nothing to read.
 */
export function locateJournal(services: JournalHost): { directory: string | null; present: boolean; where: string } {
  const root = services.collectors.root;
  const configured = services.limits.journalDirectory;
  if (configured !== null) {
    const dir = join(root, configured);
    return { directory: dir, present: hasJournalFiles(dir), where: dir };
  }
  if (root !== '/') {
    const dir = join(root, 'var/log/journal');
    return { directory: dir, present: hasJournalFiles(dir), where: dir };
  }
  const present = hasJournalFiles('/var/log/journal') || hasJournalFiles('/run/log/journal');
  return { directory: null, present, where: '/var/log/journal, /run/log/journal' };
}

function runJournalctl(argv: string[], options: QueryOptions, onStdout?: (chunk: Buffer) => void): Promise<RunResult> {
  return runProgram('journalctl', argv, {
    ...(onStdout ? { onStdout } : {}),
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    maxOutputBytes: options.maxOutputBytes ?? OUTPUT_CAP,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.executable ? { executable: options.executable } : {}),
  });
}

/**
 * Runs one bounded journalctl query and hands each entry that passes grep to `sink`, newest first, as
 * journalctl's output arrives (JournalLineStream): nothing but what the sink keeps outlives its line. Throws
 * HostlensError only for an invalid filter, and the signal's reason when cancelled while parsing; every other
 * failure is in the result.
 */
export async function scanJournal(services: JournalHost, q: JournalQuery, sink: (e: JournalEntry) => void, options: QueryOptions = {}): Promise<JournalScan> {
  const loc = locateJournal(services);
  const argv = journalArgv(q, loc.directory, options.nowMs, options.fields);
  const empty = (reason: string, warnings: string[] = [reason]): JournalScan => ({
    available: false, reason, matched: 0, scanned: 0, scanLimited: false, truncatedByCap: false, stopped: null, garbageLines: 0, argv, warnings, newestAt: null, oldestAt: null,
  });
  if (!loc.present && options.executable === undefined) {
    return empty(`no journal files in ${loc.where}: journald is not running or not storing logs here${services.collectors.root === '/' ? ' (set journalDirectory in config to read another journal)' : ''}`);
  }
  let newestAt: string | null = null;
  let oldestAt: string | null = null;
  const stream = new JournalLineStream(
    (e) => {
      newestAt ??= e.ts;
      oldestAt = e.ts;
      sink(e);
    },
    q.grep?.toLowerCase(),
    { signal: options.signal },
  );
  const r = await runJournalctl(argv, options, (chunk) => stream.push(chunk));
  await stream.end(r.truncated || r.stopped !== null);
  if (r.spawnError) return empty(`journalctl is not available: ${describeRunFailure(r)}`);
  if (/No journal files were found/i.test(r.stderr)) return empty('no journal files were found');
  if (!stream.sawOutput && /insufficient permissions|Permission denied/i.test(r.stderr)) {
    return empty('journalctl could not open the journal files (insufficient permissions: run hostlens as a member of the systemd-journal or adm group)');
  }
  const warnings: string[] = [];
  const failure = describeRunFailure(r);
  const { all, garbage } = stream;
  if (failure) {
    if (/specified boot.*not available|No such boot/i.test(r.stderr)) warnings.push(`that boot is not in the journal (${q.boot})`);
    else warnings.push(failure);
  }
  if (r.truncated) warnings.push(`journalctl output passed the ${Math.round((options.maxOutputBytes ?? OUTPUT_CAP) / 1024)} KiB cap: only the newest ${all} entries were read`);
  if (r.stopped === 'timeout') warnings.push(`only the ${all} entries read before the time limit are counted`);
  if (garbage > 0) warnings.push(`${garbage} journalctl output line(s) were not journal entries and were skipped`);
  const scanLimited = all >= (q.maxScan ?? DEFAULT_SCAN) || r.truncated || r.stopped !== null;
  return {
    available: true,
    reason: null,
    matched: stream.matched,
    scanned: all,
    scanLimited,
    truncatedByCap: r.truncated,
    stopped: r.stopped,
    garbageLines: garbage,
    argv,
    warnings,
    newestAt,
    oldestAt,
  };
}

/** scanJournal keeping every entry (for callers that need them all; maxScan bounds them). */
export async function queryJournal(services: JournalHost, q: JournalQuery, options: QueryOptions = {}): Promise<JournalResult> {
  const entries: JournalEntry[] = [];
  const scan = await scanJournal(services, q, (e) => entries.push(e), options);
  return { ...scan, entries };
}

interface JournalCount {
  /** Entries matching every filter but grep; null when the count did not complete. */
  count: number | null;
  /** The count reached maxCount: there are at least this many. */
  atLeast: boolean;
  warning: string | null;
}

/** The number of entries matching a query's journalctl filters (not grep), counted up to maxCount. */
export async function countJournal(services: JournalHost, q: JournalQuery, options: QueryOptions & { maxCount?: number } = {}): Promise<JournalCount> {
  const loc = locateJournal(services);
  const maxCount = Math.min(MAX_COUNT, Math.max(1, options.maxCount ?? MAX_COUNT));
  const argv = [
    '--output=cat',
    '--no-pager',
    '--output-fields=_BOOT_ID',
    `--lines=${maxCount}`,
    ...(loc.directory === null ? [] : [`--directory=${loc.directory}`]),
    ...journalFilterArgs(q, options.nowMs),
  ];
  // newlines counted in the chunks as they come: 200,000 lines would otherwise be a 6.6 MB string
  let count = 0;
  const r = await runJournalctl(argv, options, (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count += 1;
  });
  const failure = describeRunFailure(r);
  if (failure !== null || r.truncated) return { count: null, atLeast: false, warning: `the total beyond the scan was not counted: ${failure ?? 'output cap'}` };
  return { count, atLeast: count >= maxCount, warning: null };
}
