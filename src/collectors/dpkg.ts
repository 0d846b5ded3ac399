/**
 * Package history from the Debian logs under ctx.root: /var/log/dpkg.log (one action per line) and
 * /var/log/apt/history.log (one block per apt run, with its command line), each with its rotations
 * (.1, .2.gz, …; .gz read with node:zlib, bounded). Times in both logs are the host's LOCAL time without a
 * zone: they are interpreted in this process's time zone (TZ), which must match the host's (tests run with
 * TZ=UTC). Malformed lines are counted, never thrown.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CollectorContext } from './context.js';
import { listDir, readTextDetailed } from './read.js';

/** Only these dpkg actions are changes; status/configure/trigproc/startup lines are bookkeeping. */
const DPKG_ACTIONS = ['install', 'upgrade', 'remove', 'purge'] as const;
type DpkgAction = (typeof DPKG_ACTIONS)[number];

export interface DpkgEntry {
  tsMs: number;
  action: DpkgAction;
  /** "nginx:amd64" */
  package: string;
  /** null for "<none>" (install of a new package) */
  fromVersion: string | null;
  toVersion: string | null;
}

export interface AptRun {
  startMs: number;
  endMs: number | null;
  commandline: string | null;
  requestedBy: string | null;
  /** Install/Upgrade/Remove/Purge/Downgrade/Reinstall → package list as written */
  actions: Array<{ action: string; packages: string[] }>;
}

interface ParseResult<T> {
  entries: T[];
  badLines: number;
}

/** Max bytes read from one log file (a .gz is read compressed up to this and inflated up to 4×). */
const MAX_LOG_BYTES = 8 * 1024 * 1024;
/** Rotations looked at per log (dpkg.log, .1, .2.gz … .N). */
const MAX_ROTATIONS = 12;

const LOCAL_TS = /^(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})$/;

/** Epoch ms of "2026-11-24 10:15:01" (or with two spaces, as apt writes) in local time; null if invalid. */
export function parseLocalTime(s: string): number | null {
  const m = LOCAL_TS.exec(s.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return null;
  const t = new Date(y, mo - 1, d, h, mi, se).getTime();
  return Number.isFinite(t) ? t : null;
}

const DPKG_LINE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (\S+) (.*)$/;
const DPKG_KNOWN = new Set(['status', 'configure', 'trigproc', 'startup', 'conffile', ...DPKG_ACTIONS]);

/** Parses dpkg.log text; lines that are not `DATE TIME word …` or whose action lacks its fields are counted as bad. */
export function parseDpkgLog(text: string): ParseResult<DpkgEntry> {
  const entries: DpkgEntry[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = DPKG_LINE.exec(line);
    const tsMs = m ? parseLocalTime(m[1]!) : null;
    if (!m || tsMs === null || !DPKG_KNOWN.has(m[2]!)) {
      badLines++;
      continue;
    }
    const action = m[2] as DpkgAction;
    if (!(DPKG_ACTIONS as readonly string[]).includes(action)) continue;
    const f = m[3]!.split(' ');
    if (f.length !== 3 || f.some((x) => x === '')) {
      badLines++;
      continue;
    }
    const ver = (v: string) => (v === '<none>' ? null : v);
    entries.push({ tsMs, action, package: f[0]!, fromVersion: ver(f[1]!), toVersion: ver(f[2]!) });
  }
  return { entries, badLines };
}

/** Splits "a:amd64 (1.0), b:amd64 (1.0, 2.0), c (3, automatic)" on the commas between packages. */
function splitPackages(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const APT_ACTIONS = new Set(['Install', 'Upgrade', 'Remove', 'Purge', 'Downgrade', 'Reinstall']);

/** Parses apt/history.log blocks (Start-Date … End-Date). Lines outside a block or unknown keys count as bad. */
export function parseAptHistory(text: string): ParseResult<AptRun> {
  const entries: AptRun[] = [];
  let badLines = 0;
  let cur: AptRun | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const idx = line.indexOf(': ');
    const key = idx > 0 ? line.slice(0, idx) : '';
    const value = idx > 0 ? line.slice(idx + 2) : '';
    if (key === 'Start-Date') {
      const t = parseLocalTime(value);
      if (t === null) {
        badLines++;
        cur = null;
        continue;
      }
      cur = { startMs: t, endMs: null, commandline: null, requestedBy: null, actions: [] };
      entries.push(cur);
      continue;
    }
    if (cur === null) {
      badLines++;
      continue;
    }
    if (key === 'End-Date') {
      cur.endMs = parseLocalTime(value);
      cur = null;
    } else if (key === 'Commandline') cur.commandline = value;
    else if (key === 'Requested-By') cur.requestedBy = value;
    else if (APT_ACTIONS.has(key)) cur.actions.push({ action: key.toLowerCase(), packages: splitPackages(value) });
    else if (key !== 'Error') badLines++;
  }
  return { entries, badLines };
}

interface LogFileText {
  path: string;
  text: string;
  mtimeMs: number;
}

/** The log and its rotations, newest first: base, base.1, base.2(.gz) … (at most MAX_ROTATIONS). */
function rotationsOf(dir: string, base: string): string[] {
  const names = listDir(dir) ?? [];
  const numbered = names
    .map((n) => ({ n, m: new RegExp(`^${base.replace(/\./g, '\\.')}\\.(\\d{1,3})(\\.gz)?$`).exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => x.n);
  return [...(names.includes(base) ? [base] : []), ...numbered].slice(0, MAX_ROTATIONS);
}

/**
 * Reads a log and its rotations under ctx.root (host path e.g. /var/log/dpkg.log), newest first, stopping at
 * the first rotation last written before sinceMs (older ones cannot hold newer lines). Never throws.
 */
function readRotatedLog(ctx: CollectorContext, hostPath: string, sinceMs: number, warnings: string[]): { files: LogFileText[]; found: boolean } {
  const dir = join(ctx.root, hostPath, '..');
  const base = hostPath.slice(hostPath.lastIndexOf('/') + 1);
  const files: LogFileText[] = [];
  const names = rotationsOf(dir, base);
  for (const name of names) {
    const path = join(dir, name);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      continue;
    }
    if (mtimeMs < sinceMs) break;
    const text = name.endsWith('.gz') ? readGz(path, warnings) : readPlain(path, warnings);
    if (text !== null) files.push({ path: join(hostPath, '..', name), text, mtimeMs });
  }
  return { files, found: names.length > 0 };
}

function readPlain(path: string, warnings: string[]): string | null {
  const r = readTextDetailed(path, MAX_LOG_BYTES);
  if (r.text === null) {
    warnings.push(`${path}: ${r.error ?? 'unreadable'}`);
    return null;
  }
  if (r.truncated) warnings.push(`${path}: only the first ${MAX_LOG_BYTES} bytes were read`);
  return r.text;
}

function readGz(path: string, warnings: string[]): string | null {
  try {
    const raw = readBinary(path, MAX_LOG_BYTES);
    return gunzipSync(raw, { maxOutputLength: 4 * MAX_LOG_BYTES }).toString('utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') warnings.push(`${path}: inflates to more than ${4 * MAX_LOG_BYTES} bytes: not read`);
    else warnings.push(`${path}: not readable as gzip (${String((e as Error).message).slice(0, 80)})`);
    return null;
  }
}

/** Up to maxBytes raw bytes (readTextDetailed decodes UTF-8, which would corrupt gzip data). Throws on error. */
function readBinary(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(maxBytes);
    let total = 0;
    while (total < maxBytes) {
      const n = readSync(fd, buf, total, maxBytes - total, null);
      if (n === 0) break;
      total += n;
    }
    return buf.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}

interface PackageHistory {
  /** dpkg actions at or after sinceMs, oldest first. */
  dpkg: DpkgEntry[];
  /** apt runs that ended (or started) at or after sinceMs, oldest first. */
  apt: AptRun[];
  dpkgFound: boolean;
  aptFound: boolean;
  badLines: number;
  warnings: string[];
}

const DPKG_LOG = '/var/log/dpkg.log';
const APT_HISTORY_LOG = '/var/log/apt/history.log';

/** dpkg.log and apt/history.log (with rotations) from sinceMs on. */
export function readPackageHistory(ctx: CollectorContext, sinceMs: number): PackageHistory {
  const warnings: string[] = [];
  let badLines = 0;
  const d = readRotatedLog(ctx, DPKG_LOG, sinceMs, warnings);
  const dpkg: DpkgEntry[] = [];
  for (const f of d.files) {
    const p = parseDpkgLog(f.text);
    badLines += p.badLines;
    for (const e of p.entries) if (e.tsMs >= sinceMs) dpkg.push(e);
  }
  const a = readRotatedLog(ctx, APT_HISTORY_LOG, sinceMs, warnings);
  const apt: AptRun[] = [];
  for (const f of a.files) {
    const p = parseAptHistory(f.text);
    badLines += p.badLines;
    for (const r of p.entries) if ((r.endMs ?? r.startMs) >= sinceMs) apt.push(r);
  }
  dpkg.sort((x, y) => x.tsMs - y.tsMs);
  apt.sort((x, y) => x.startMs - y.startMs);
  if (badLines > 0) warnings.push(`package logs: ${badLines} malformed line(s) skipped`);
  return { dpkg, apt, dpkgFound: d.found, aptFound: a.found, badLines, warnings };
}
