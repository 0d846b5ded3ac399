/**
 * Per-process details that cost more than a stat read, meant for the top N of a scan only:
 * fd count, the "Max open files" soft limit, the clipped command line, the real uid and user name, and VmSwap.
 *
 * The command line is returned raw (only clipped): redaction of secrets is the caller's job.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { clipString, parseNonNegInt, readText, readTextDetailed } from './read.js';
import { parseProcStat, parseProcStatus } from './processes.js';

export const DEFAULT_MAX_CMDLINE_CHARS = 512;
/** Bytes of proc/[pid]/cmdline read at most; beyond this the hidden-char count in the marker is a lower bound. */
const CMDLINE_READ_CAP = 256 * 1024;
const PASSWD_TTL_MS = 60_000;

export interface ProcessDetail {
  pid: number;
  /** Open file descriptors; null when proc/[pid]/fd is not readable (EACCES for other users' processes). */
  fdCount: number | null;
  /** Soft "Max open files"; null when unreadable or unlimited. */
  fdLimit: number | null;
  /** argv joined by spaces and clipped with `…[+N chars]`; null for kernel threads or when unreadable. */
  cmdline: string | null;
  /** Real uid from status. */
  uid: number | null;
  /** From <root>/etc/passwd; null when the uid has no local entry. */
  user: string | null;
  /** VmSwap; null for kernel threads or when status is unreadable. */
  swapBytes: number | null;
  warnings: string[];
}

export interface EnrichOptions {
  maxCmdlineChars?: number;
  /** When given, the detail is only returned if the pid still has this start time (guards against pid reuse). */
  startTimeTicks?: number;
}

interface PasswdCache {
  loadedAt: number;
  mtimeMs: number;
  names: Map<number, string>;
}

const passwdCaches = new WeakMap<CollectorContext, PasswdCache>();

/** Parses etc/passwd text into uid → name (only the name and uid fields are used). */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = parseNonNegInt(f[2]);
    if (f[0] && uid !== null && !names.has(uid)) names.set(uid, f[0]);
  }
  return names;
}

/** User name for a uid from <root>/etc/passwd, cached per context (reloaded when the file changes, checked ≤ 1/min). */
export function userNameForUid(ctx: CollectorContext, uid: number): string | null {
  const path = join(ctx.root, 'etc/passwd');
  const now = Date.now();
  let cache = passwdCaches.get(ctx);
  if (!cache || now - cache.loadedAt > PASSWD_TTL_MS) {
    let mtimeMs = -1;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      /* missing: no names */
    }
    if (!cache || cache.mtimeMs !== mtimeMs) {
      const text = mtimeMs >= 0 ? readText(path, 4 * 1024 * 1024) : null;
      cache = { loadedAt: now, mtimeMs, names: text === null ? new Map() : parsePasswd(text) };
    } else cache.loadedAt = now;
    passwdCaches.set(ctx, cache);
  }
  return cache.names.get(uid) ?? null;
}

/** Soft "Max open files" from proc/[pid]/limits text; null when absent or unlimited. */
export function parseFdLimit(text: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0];
    return parseNonNegInt(soft);
  }
  return null;
}

/** Turns raw cmdline bytes (NUL-separated argv) into one clipped line. Empty → null. */
export function formatCmdline(raw: string, maxChars: number, unreadChars = 0): string | null {
  const joined = raw.replace(/\0+$/, '').replace(/\0/g, ' ');
  if (joined.trim() === '') return null;
  return clipString(joined, maxChars, unreadChars);
}

function countFds(dir: string): { count: number | null; error: string | null } {
  try {
    return { count: readdirSync(dir).length, error: null };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { count: null, error: typeof code === 'string' ? code : 'EIO' };
  }
}

/** Open fd count of one process (readdir of proc/[pid]/fd); null when unreadable or gone. */
export function countProcessFds(ctx: CollectorContext, pid: number): number | null {
  return countFds(join(ctx.root, 'proc', String(pid), 'fd')).count;
}

/**
 * Details for one pid; null when the process is gone (or, with opts.startTimeTicks, was replaced by another).
 * Never throws; unreadable parts are null with a warning (EACCES on fd/ is expected without privileges).
 */
export function enrichProcess(ctx: CollectorContext, pid: number, opts: EnrichOptions = {}): ProcessDetail | null {
  const dir = join(ctx.root, 'proc', String(pid));
  const warnings: string[] = [];
  if (opts.startTimeTicks !== undefined) {
    const stat = readText(join(dir, 'stat'), 4096);
    const parsed = stat === null ? null : parseProcStat(stat, ctx.pageSize);
    if (!parsed || parsed.startTimeTicks !== opts.startTimeTicks) return null;
  }
  const status = readTextDetailed(join(dir, 'status'), 16 * 1024);
  if (status.text === null && (status.error === 'ENOENT' || status.error === 'ESRCH')) return null;
  if (status.text === null) warnings.push(`proc/${pid}/status: ${status.error}`);
  const st = status.text === null ? null : parseProcStatus(status.text);
  const uid = st?.uid ?? null;
  const fd = countFds(join(dir, 'fd'));
  if (fd.count === null) warnings.push(`proc/${pid}/fd: ${fd.error}`);
  const limitsText = readText(join(dir, 'limits'), 8192);
  if (limitsText === null) warnings.push(`proc/${pid}/limits: unreadable`);
  const cmd = readTextDetailed(join(dir, 'cmdline'), CMDLINE_READ_CAP);
  const maxChars = Math.max(16, Math.floor(opts.maxCmdlineChars ?? DEFAULT_MAX_CMDLINE_CHARS));
  const cmdline = cmd.text === null ? null : formatCmdline(cmd.text, maxChars, cmd.truncated ? 1 : 0);
  if (cmd.text === null) warnings.push(`proc/${pid}/cmdline: ${cmd.error}`);
  return {
    pid,
    fdCount: fd.count,
    fdLimit: limitsText === null ? null : parseFdLimit(limitsText),
    cmdline,
    uid,
    user: uid === null ? null : userNameForUid(ctx, uid),
    swapBytes: st?.swapBytes ?? null,
    warnings,
  };
}
