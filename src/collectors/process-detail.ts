/**
 * Per-process details that cost more than a stat read, meant for the top N of a scan only:
 * fd count, the "Max open files" soft limit, the command line, the real uid and user name, and VmSwap.
 *
 * The command line is redacted here, BEFORE it is clipped: clipping first could cut a secret in two halves that
 * no rule recognises (`--token abc…` with the rest hidden, a 40-char key cut at 20).
 */
import { closeSync, openSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { redact } from '../redaction/redact.js';
import { clipBeforeRedaction, clipString, parseNonNegInt, readText, readTextDetailed } from './read.js';
import { parseProcStat, parseProcStatus } from './processes.js';

const DEFAULT_MAX_CMDLINE_CHARS = 512;
/** Bytes of proc/[pid]/cmdline read at most; beyond this the hidden-char count in the marker is a lower bound. */
const CMDLINE_READ_CAP = 256 * 1024;
const PASSWD_TTL_MS = 60_000;

interface ProcessDetail {
  pid: number;
  /** Open file descriptors; null when proc/[pid]/fd is not readable (EACCES for other users' processes). */
  fdCount: number | null;
  /** Soft "Max open files"; null when unreadable or unlimited. */
  fdLimit: number | null;
  /** argv joined by spaces, secrets redacted, then clipped with `…[+N chars]`; null for kernel threads or when unreadable. */
  cmdline: string | null;
  /** Secrets redacted from cmdline. */
  cmdlineRedactions: number;
  /** Real uid from status. */
  uid: number | null;
  /** From <root>/etc/passwd; null when the uid has no local entry. */
  user: string | null;
  /** VmSwap; null for kernel threads or when status is unreadable. */
  swapBytes: number | null;
  warnings: string[];
}

interface EnrichOptions {
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

/** Text past the shown length that is still redacted, so a secret straddling the cut is seen whole. */
const REDACT_MARGIN_CHARS = 4096;

/** Raw cmdline bytes (NUL-separated argv) as one line: redacted, then clipped; null when empty. */
export function formatCmdlineDetailed(raw: string, maxChars: number, unreadChars = 0): { text: string; redactions: number } | null {
  const joined = raw.replace(/\0+$/, '').replace(/\0/g, ' ');
  if (joined.trim() === '') return null;
  // Redaction costs ~60 µs/KB: bound it for a huge argv, cutting between tokens (clipBeforeRedaction).
  const window = clipBeforeRedaction(joined, maxChars + REDACT_MARGIN_CHARS);
  const r = redact(window);
  return { text: clipString(r.text, maxChars, joined.length - window.length + unreadChars), redactions: r.count };
}

/** Raw cmdline bytes (NUL-separated argv) as one redacted, clipped line. Empty → null. */
export function formatCmdline(raw: string, maxChars: number, unreadChars = 0): string | null {
  return formatCmdlineDetailed(raw, maxChars, unreadChars)?.text ?? null;
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
  const formatted = cmd.text === null ? null : formatCmdlineDetailed(cmd.text, maxChars, cmd.truncated ? 1 : 0);
  const cmdline = formatted?.text ?? null;
  if (cmd.text === null) warnings.push(`proc/${pid}/cmdline: ${cmd.error}`);
  return {
    pid,
    fdCount: fd.count,
    fdLimit: limitsText === null ? null : parseFdLimit(limitsText),
    cmdline,
    cmdlineRedactions: formatted?.redactions ?? 0,
    uid,
    user: uid === null ? null : userNameForUid(ctx, uid),
    swapBytes: st?.swapBytes ?? null,
    warnings,
  };
}

// ---- Deep detail for one process (get_process) ----

export const FD_TYPES = ['socket', 'file', 'pipe', 'anon', 'other'] as const;
type FdType = (typeof FD_TYPES)[number];

/** Kind of an fd from its link target: socket:[…], pipe:[…], anon_inode:…, a path (file, device, …), other. */
export function classifyFdTarget(target: string): FdType {
  if (target.startsWith('socket:[')) return 'socket';
  if (target.startsWith('pipe:[')) return 'pipe';
  if (target.startsWith('anon_inode:')) return 'anon';
  if (target.startsWith('/')) return 'file';
  return 'other';
}

interface FdSummary {
  byType: Record<FdType, number>;
  socketInodes: number[];
  /** Links read (≤ the cap); fewer than fdCount when the cap was hit. */
  classified: number;
}

/** Counts fd link targets by type and collects the socket inodes. */
export function summarizeFdTargets(targets: readonly string[]): FdSummary {
  const byType = Object.fromEntries(FD_TYPES.map((t) => [t, 0])) as Record<FdType, number>;
  const socketInodes: number[] = [];
  for (const t of targets) {
    const kind = classifyFdTarget(t);
    byType[kind]++;
    if (kind === 'socket') {
      const m = /^socket:\[(\d+)\]$/.exec(t);
      if (m) socketInodes.push(Number(m[1]));
    }
  }
  return { byType, socketInodes, classified: targets.length };
}

interface ResourceLimit {
  name: string;
  /** null = unlimited. */
  soft: number | null;
  hard: number | null;
  /** As the kernel names it: seconds, bytes, files, processes, locks, signals, us, or '' (nice/priority). */
  unit: string;
}

/**
 * Parses proc/[pid]/limits ("Max open files   1024   4096   files"); malformed rows are skipped. Token-based
 * (right to left: optional unit, hard, soft, then the name), so it stays linear on any input.
 */
export function parseLimitsTable(text: string): { limits: ResourceLimit[]; badLines: number } {
  const limits: ResourceLimit[] = [];
  let badLines = 0;
  const val = (s: string | undefined): number | null | undefined => (s === 'unlimited' ? null : s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  for (const line of text.split('\n').slice(1)) {
    const toks = line.trim().split(/\s+/);
    if (toks.length === 1 && toks[0] === '') continue;
    let i = toks.length - 1;
    const unit = val(toks[i]) === undefined ? toks[i--]! : '';
    const hard = val(toks[i]);
    const soft = val(toks[i - 1]);
    const name = toks.slice(0, Math.max(0, i - 1)).join(' ');
    if (soft === undefined || hard === undefined || name === '') {
      badLines++;
      continue;
    }
    limits.push({ name, soft, hard, unit });
  }
  return { limits, badLines };
}

/**
 * Variable NAMES from proc/[pid]/environ. The values are never decoded into strings: the raw bytes are scanned
 * in a private buffer that is zeroed before returning, so no value can leak into a result, a log or the heap.
 */
export function readEnvNames(ctx: CollectorContext, pid: number, maxNames: number, maxBytes = 256 * 1024): { names: string[]; total: number; error: string | null; truncated: boolean } {
  const buf = Buffer.alloc(maxBytes + 1);
  let len = 0;
  let fd: number | null = null;
  try {
    fd = openSync(join(ctx.root, 'proc', String(pid), 'environ'), 'r');
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len >= buf.length) break;
    }
  } catch (e) {
    buf.fill(0);
    const code = (e as { code?: unknown }).code;
    return { names: [], total: 0, error: typeof code === 'string' ? code : 'EIO', truncated: false };
  } finally {
    if (fd !== null) closeSync(fd);
  }
  const truncated = len > maxBytes;
  const end = truncated ? maxBytes : len;
  const names = new Set<string>();
  let total = 0;
  let start = 0;
  while (start < end) {
    let stop = buf.indexOf(0, start);
    if (stop < 0 || stop > end) stop = end;
    if (stop === end && truncated) break; // a partial last entry
    const eq = buf.indexOf(0x3d, start); // '='
    if (eq > start && eq < stop) {
      total++;
      const name = buf.toString('utf8', start, Math.min(eq, start + 256));
      if (names.size < maxNames && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) names.add(name);
    }
    start = stop + 1;
  }
  buf.fill(0);
  return { names: [...names].sort(), total, error: null, truncated };
}

interface StatusDetail {
  name: string | null;
  state: string | null;
  ppid: number | null;
  uid: number | null;
  threads: number | null;
  rssBytes: number | null;
  swapBytes: number | null;
  voluntaryCtxSwitches: number | null;
  involuntaryCtxSwitches: number | null;
}

/** The fields of proc/[pid]/status get_process reports ("kB" values in bytes). */
export function parseStatusDetail(text: string): StatusDetail {
  const f = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) f.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const int = (k: string): number | null => parseNonNegInt(f.get(k)?.split(/\s+/)[0]);
  const kb = (k: string): number | null => {
    const v = f.get(k);
    const n = v === undefined ? null : parseNonNegInt(v.replace(/\s*kB$/, ''));
    return n === null ? null : n * 1024;
  };
  return {
    name: f.get('Name') || null,
    state: f.get('State') || null,
    ppid: int('PPid'),
    uid: int('Uid'),
    threads: int('Threads'),
    rssBytes: kb('VmRSS'),
    swapBytes: kb('VmSwap'),
    voluntaryCtxSwitches: int('voluntary_ctxt_switches'),
    involuntaryCtxSwitches: int('nonvoluntary_ctxt_switches'),
  };
}

/** read_bytes / write_bytes (storage I/O) from proc/[pid]/io; null when absent or malformed. */
export function parseProcIo(text: string): { readBytes: number; writeBytes: number } | null {
  const r = /^read_bytes:\s*(\d+)$/m.exec(text);
  const w = /^write_bytes:\s*(\d+)$/m.exec(text);
  return r && w ? { readBytes: Number(r[1]), writeBytes: Number(w[1]) } : null;
}

/** The systemd unit a cgroup path belongs to: its last `*.service` component; null otherwise. */
export function unitFromCgroupPath(path: string | null): string | null {
  if (path === null) return null;
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = parts.length - 1; i >= 0; i--) if (/^[^/]+\.service$/.test(parts[i]!)) return parts[i]!;
  return null;
}

/** readlink of proc/[pid]/<name> (exe, cwd); null when denied or gone. */
export function readProcLink(ctx: CollectorContext, pid: number, name: 'exe' | 'cwd' | 'root'): string | null {
  try {
    return readlinkSync(join(ctx.root, 'proc', String(pid), name));
  } catch {
    return null;
  }
}
