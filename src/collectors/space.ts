/**
 * Disk space: a bounded `du` of one directory and the deleted-but-still-open files held by processes.
 *
 * Paths are host paths ("/var/log") resolved under ctx.root like every collector (join(root, path)), so a test
 * can point the walk at a tree; results name host paths again. The walk uses synchronous lstat/readdir in
 * batches and yields to the event loop (setImmediate) between batches, so a deadline and an AbortSignal are
 * honoured and the server stays responsive. It never follows symlinks, never leaves the starting filesystem
 * (st_dev) and stops at a file-count cap, a depth cap and the deadline; every cut is reported. Names are never
 * listed inside a deny-listed directory (.ssh, .gnupg, /etc/ssl/private, …) nor for a deny-listed file name or a
 * protected file: their bytes are still counted, into one `withheld` entry per parent directory without names.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { yieldTurn as yieldToLoop } from '../util/slices.js';
import type { CollectorContext } from './context.js';
import { denyReason } from './file-policy.js';
import { NO_PROTECTED_FILES } from './protected-files.js';
import type { ProtectedFiles } from './protected-files.js';
import { clipString, listDir, readLine } from './read.js';
import { openDirAsSeen, safeClose } from './safe-open.js';

/** lstat/readlink calls between two yields to the event loop. */
const SPACE_BATCH = 256;
/** Nesting the walk never goes below, whatever the reporting depth (a guard against pathological trees). */
export const SPACE_MAX_WALK_DEPTH = 32;
const MAX_PATH_CHARS = 512;

export interface SpaceEntry {
  /** Host path; for a `withheld` entry, `<parent>/(withheld)`. */
  path: string;
  /** withheld: deny-listed or protected entries of one directory, counted without their names. */
  type: 'dir' | 'file' | 'other' | 'withheld';
  /** Allocated bytes (st_blocks × 512) of the entry and, for a directory, everything walked below it. */
  sizeBytes: number;
  /** Files (non-directories) counted in sizeBytes. */
  fileCount: number;
  /** False when part of a directory was not walked (cut, unreadable, or another filesystem below it). */
  complete: boolean;
}

interface WalkOptions {
  /** Levels below the start listed as entries (1 = its children; du -d). Sizes always include everything walked. */
  depth: number;
  /** Entries examined (lstat) before the walk stops. */
  maxFiles: number;
  /** performance.now() value after which the walk stops. */
  deadline: number;
  signal?: AbortSignal;
  onBatch?: () => void | Promise<void>;
  now?: () => number;
  /** The server's protected files: withheld like deny-listed names. */
  protect?: ProtectedFiles;
}

interface WalkResult {
  entries: SpaceEntry[];
  totalBytes: number;
  totalFiles: number;
  scanned: { files: number; dirs: number; complete: boolean };
  /** Why the walk stopped early, when it did. */
  cut: 'timeout' | 'fileCap' | null;
  warnings: string[];
}

interface Agg {
  entry: SpaceEntry;
}

interface Frame {
  abs: string;
  host: string;
  level: number;
  /** Aggregates of the reported ancestors (levels 1..depth) including this directory when reported. */
  chain: Agg[];
  /** Inside a deny-listed or protected directory: nothing below is listed. */
  secret: boolean;
  /** Identity of the directory when it was seen (lstat): the one opened later must be the same. */
  dev: number;
  ino: number;
}


const WITHHELD_NAME = '(withheld)';

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EIO';
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

/** Host path of an absolute path under ctx.root (the root's realpath is `rootReal`). */
function hostPathOf(rootReal: string, abs: string): string {
  if (rootReal === '/' || rootReal === sep) return abs;
  const rel = relative(rootReal, abs);
  return rel === '' ? '/' : `/${rel.split(sep).join('/')}`;
}

/**
 * Checks a requested directory against the allow-list. Both sides are realpath'd under ctx.root, so a symlink
 * that leads out of every allowed root is refused. Returns the absolute directory or an error message.
 */
export function resolveScanPath(ctx: CollectorContext, path: string, scanRoots: readonly string[]): { abs: string; host: string; rootReal: string } | { error: string } {
  const allowed = `allowed roots: ${scanRoots.join(', ') || '(none configured)'}`;
  if (!path.startsWith('/') || path.includes('\0')) return { error: `path must be an absolute directory path (starting with "/", no NUL); ${allowed}` };
  let rootReal: string;
  try {
    rootReal = realpathSync(ctx.root);
  } catch {
    return { error: `collector root ${ctx.root} is not readable` };
  }
  const roots: string[] = [];
  for (const r of scanRoots) {
    try {
      roots.push(realpathSync(join(ctx.root, r)));
    } catch {
      /* an allowed root that does not exist here allows nothing */
    }
  }
  // Lexically outside every root: refused before the file system is asked, so nothing about paths outside the
  // allow-list (existence, symlink targets, /proc/<pid>/cwd or fd targets) can be learned from the answer.
  const lexical = posix.normalize(path);
  const outside = `${clipString(path, 200)} is outside the directories find_space_hogs may walk; ${allowed} (config scanRoots / --scan-root)`;
  if (!scanRoots.some((r) => lexical === posix.normalize(r) || lexical.startsWith(posix.normalize(r).replace(/\/?$/, '/')))) return { error: outside };
  let real: string;
  try {
    real = realpathSync(join(ctx.root, path));
  } catch (e) {
    return { error: `${clipString(path, 200)}: ${errCode(e) === 'ENOENT' ? 'no such directory' : `not accessible (${errCode(e)})`}` };
  }
  if (!roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep))) {
    // A symlink inside a root that leads out of it: refused without naming where it leads.
    return { error: `${clipString(path, 200)} leads outside the directories find_space_hogs may walk (through a symlink); ${allowed} (config scanRoots / --scan-root)` };
  }
  try {
    if (!statSync(real).isDirectory()) return { error: `${clipString(path, 200)} is not a directory` };
  } catch (e) {
    return { error: `${clipString(path, 200)}: not accessible (${errCode(e)})` };
  }
  return { abs: real, host: hostPathOf(rootReal, real), rootReal };
}

function allocated(st: Stats): number {
  return Number.isFinite(st.blocks) ? st.blocks * 512 : st.size;
}

/** Walks `abs` (already checked by resolveScanPath). Rejects only when the signal aborts. */
export async function walkSpace(abs: string, host: string, opts: WalkOptions): Promise<WalkResult> {
  const now = opts.now ?? (() => performance.now());
  const entries: SpaceEntry[] = [];
  const warnings: string[] = [];
  const seenInodes = new Set<string>();
  let files = 0;
  let dirs = 0;
  let ops = 0;
  let totalBytes = 0;
  let totalFiles = 0;
  let cut: WalkResult['cut'] = null;
  let unreadable = 0;
  const otherFs: string[] = [];
  let otherFsCount = 0;
  let startDev: number;
  let startIno: number;
  try {
    const st = lstatSync(abs);
    startDev = st.dev;
    startIno = st.ino;
    totalBytes += allocated(st);
  } catch (e) {
    return { entries, totalBytes: 0, totalFiles: 0, scanned: { files: 0, dirs: 0, complete: false }, cut: null, warnings: [`${host}: ${errCode(e)}`] };
  }
  const protect = opts.protect ?? NO_PROTECTED_FILES;
  const withheld = new Map<string, SpaceEntry>();
  const stack: Frame[] = [{ abs, host, level: 0, chain: [], secret: denyReason(host) !== null, dev: startDev, ino: startIno }];
  const markIncomplete = (chain: Agg[]): void => {
    for (const a of chain) a.entry.complete = false;
  };
  /** Between batches: yield to the event loop, then check the signal and the deadline. */
  const pause = async (): Promise<boolean> => {
    await yieldToLoop();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    await opts.onBatch?.();
    if (now() >= opts.deadline) cut = 'timeout';
    return cut === null;
  };
  outer: while (stack.length > 0) {
    const frame = stack.pop()!;
    const opened = openDirAsSeen(frame.abs, frame);
    if (opened === null) {
      unreadable++;
      markIncomplete(frame.chain);
      continue;
    }
    const { dir } = opened;
    dirs++;
    try {
      for (;;) {
        let d;
        try {
          d = dir.readSync();
        } catch {
          unreadable++;
          markIncomplete(frame.chain);
          break;
        }
        if (d === null) break;
        if (files >= opts.maxFiles) {
          cut = 'fileCap';
          stack.push(frame);
          break outer;
        }
        const childAbs = join(frame.abs, d.name);
        let st: Stats;
        try {
          st = lstatSync(childAbs);
        } catch {
          continue; // vanished between readdir and lstat
        }
        files++;
        const level = frame.level + 1;
        const childHost = frame.host === '/' ? `/${d.name}` : `${frame.host}/${d.name}`;
        const isDir = st.isDirectory();
        let size = allocated(st);
        if (!isDir && st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (seenInodes.has(key)) size = 0;
          else if (seenInodes.size < opts.maxFiles) seenInodes.add(key);
        }
        let chain = frame.chain;
        const secret = frame.secret || denyReason(childHost) !== null || protect.isProtectedPath(childAbs, st);
        if (level <= opts.depth && !frame.secret) {
          let entry: SpaceEntry | undefined;
          if (!secret) {
            entry = { path: clipString(childHost, MAX_PATH_CHARS), type: isDir ? 'dir' : st.isFile() ? 'file' : 'other', sizeBytes: 0, fileCount: 0, complete: true };
            entries.push(entry);
          } else {
            // One line per parent for everything withheld in it, so neither a name nor a count per name shows.
            const at = frame.host === '/' ? `/${WITHHELD_NAME}` : `${frame.host}/${WITHHELD_NAME}`;
            entry = withheld.get(at);
            if (!entry) {
              entry = { path: clipString(at, MAX_PATH_CHARS), type: 'withheld', sizeBytes: 0, fileCount: 0, complete: true };
              withheld.set(at, entry);
              entries.push(entry);
            }
          }
          chain = [...frame.chain, { entry }];
        }
        if (isDir && st.dev !== startDev) {
          if (otherFsCount++ < 3) otherFs.push(childHost);
          markIncomplete(chain);
          size = 0; // a mount point: its inode belongs to the other filesystem
        } else if (isDir && level >= SPACE_MAX_WALK_DEPTH) {
          markIncomplete(chain);
        } else if (isDir) {
          stack.push({ abs: childAbs, host: childHost, level, chain, secret, dev: st.dev, ino: st.ino });
        }
        totalBytes += size;
        if (!isDir) totalFiles++;
        for (const a of chain) {
          a.entry.sizeBytes += size;
          if (!isDir) a.entry.fileCount++;
        }
        if (++ops % SPACE_BATCH === 0 && !(await pause())) {
          stack.push(frame);
          break outer;
        }
      }
    } finally {
      try {
        dir.closeSync();
      } catch {
        /* already closed */
      }
      safeClose(opened.fd);
    }
  }
  // Directories never (fully) read: everything still on the stack, and its reported ancestors.
  for (const f of stack) markIncomplete(f.chain);
  cut = cut as WalkResult['cut']; // assigned inside pause(): widen the narrowed type
  if (cut === 'timeout') warnings.push(`walk stopped at the time limit after ${files} entries: sizes are lower bounds (entries with complete=false)`);
  if (cut === 'fileCap') warnings.push(`walk stopped at the cap of ${opts.maxFiles} entries: sizes are lower bounds (entries with complete=false); walk a subdirectory instead`);
  if (unreadable > 0) warnings.push(`${unreadable} director${unreadable === 1 ? 'y' : 'ies'} could not be read (permissions or vanished)`);
  if (otherFsCount > 0) warnings.push(`not crossed into other filesystems mounted below: ${otherFs.join(', ')}${otherFsCount > 3 ? ` and ${otherFsCount - 3} more` : ''}`);
  return {
    entries,
    totalBytes,
    totalFiles,
    scanned: { files, dirs, complete: cut === null && unreadable === 0 && otherFsCount === 0 && stack.length === 0 },
    cut,
    warnings,
  };
}

export interface DeletedOpenFile {
  pid: number;
  comm: string | null;
  fd: number;
  /** The path the file had, without the " (deleted)" suffix. */
  path: string;
  /** Allocated bytes of the open file (stat through proc/<pid>/fd/<n>); null when stat failed. */
  sizeBytes: number | null;
  /** "dev:ino", to count a file held by several fds once. */
  inode: string | null;
}

interface DeletedOpenScan {
  files: DeletedOpenFile[];
  processes: number;
  fds: number;
  /** Processes whose fd directory could not be listed (not ours, gone). */
  unreadable: number;
  complete: boolean;
}

const DELETED = ' (deleted)';
/** Not disk space: memfd_create and SysV shared memory show up as "deleted" too. */
const NOT_FILES = /^\/(memfd:|SYSV[0-9a-f]{8}|dev\/zero|\[)/;

/** Scans proc/<pid>/fd host-wide for files deleted while still open. Rejects only when the signal aborts. */
export async function scanDeletedOpen(
  ctx: CollectorContext,
  opts: { maxFds: number; deadline: number; signal?: AbortSignal; now?: () => number; protect?: ProtectedFiles },
): Promise<DeletedOpenScan> {
  const now = opts.now ?? (() => performance.now());
  const out: DeletedOpenScan = { files: [], processes: 0, fds: 0, unreadable: 0, complete: true };
  const pids = (listDir(join(ctx.root, 'proc')) ?? []).filter((n) => /^\d+$/.test(n));
  let ops = 0;
  for (const p of pids) {
    const fdDir = join(ctx.root, 'proc', p, 'fd');
    const fds = listDir(fdDir);
    if (fds === null) {
      out.unreadable++;
      continue;
    }
    out.processes++;
    let comm: string | null | undefined;
    for (const fd of fds) {
      if (out.fds >= opts.maxFds || now() >= opts.deadline) {
        out.complete = false;
        return out;
      }
      out.fds++;
      if (++ops % SPACE_BATCH === 0) {
        await yieldToLoop();
        if (opts.signal?.aborted) throw abortError(opts.signal);
      }
      let target: string;
      try {
        target = readlinkSync(join(fdDir, fd));
      } catch {
        continue;
      }
      if (!target.endsWith(DELETED) || !target.startsWith('/') || NOT_FILES.test(target)) continue;
      let sizeBytes: number | null = null;
      let inode: string | null = null;
      let st: Stats | null = null;
      try {
        st = statSync(join(fdDir, fd));
        if (!st.isFile()) continue;
        sizeBytes = allocated(st);
        inode = `${st.dev}:${st.ino}`;
      } catch {
        /* closed meanwhile, or not ours to stat: keep it with an unknown size */
      }
      if (comm === undefined) comm = readLine(join(ctx.root, 'proc', p, 'comm'));
      const was = target.slice(0, -DELETED.length);
      const hide = denyReason(was) !== null || (st !== null && (opts.protect ?? NO_PROTECTED_FILES).isProtected(st));
      out.files.push({ pid: Number(p), comm, fd: Number(fd), path: hide ? WITHHELD_NAME : clipString(was, MAX_PATH_CHARS), sizeBytes, inode });
    }
  }
  return out;
}

/** Bytes held by deleted-open files, each file counted once however many fds hold it. */
export function deletedOpenTotalBytes(files: readonly DeletedOpenFile[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const f of files) {
    if (f.sizeBytes === null) continue;
    if (f.inode !== null) {
      if (seen.has(f.inode)) continue;
      seen.add(f.inode);
    }
    total += f.sizeBytes;
  }
  return total;
}
