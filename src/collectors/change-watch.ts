/**
 * The change watcher behind recent_changes: every intervalMs it lists the allow-listed config files
 * (services.limits.configFiles globs, the built-in deny-list of collectors/file-policy.ts applied, symlinks not
 * followed, the server's protected files left out), stats them, fingerprints only files ≤ maxHashBytes whose mtime
 * or size changed, and records created / modified / deleted files. The fingerprint is an HMAC-SHA256 under a key
 * drawn at process start and never shown: it answers "same content as before?" and nothing else. A public digest
 * (even a 12-hex prefix) let a reader recover a 6-digit PIN from a file it may not read in under a second, so
 * changes carry no digest and no size; it also records the TCP/UDP listening set and records listeners that
 * appear or disappear. Everything is bounded: files per scan, bytes hashed per scan, changes kept in memory.
 * The first scan is the baseline (no changes); it runs just after start() so createServices stays fast.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { lstatSync, readSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { denyReason, globToRegExp } from './file-policy.js';
import { NO_PROTECTED_FILES } from './protected-files.js';
import type { ProtectedFiles } from './protected-files.js';
import { openNoFollow, safeClose } from './safe-open.js';
import { listDir, readLine } from './read.js';
import { newInodeScan, readSocketTables, scanSocketOwners } from './sockets.js';
import { sliceClock, yieldTurn } from '../util/slices.js';

interface WatchedChange {
  tsMs: number;
  kind: 'config' | 'listener';
  action: 'created' | 'modified' | 'deleted' | 'opened' | 'closed';
  subject: string;
  detail: string;
}

interface WatchedFile {
  mtimeMs: number;
  sizeBytes: number;
  /** HMAC-SHA256 under the per-process key; null when not fingerprinted (too large, unreadable, refused, budget). Never shown. */
  fingerprint: string | null;
}

interface ChangeWatcherOptions {
  ctx: CollectorContext;
  configFiles: readonly string[];
  intervalMs?: number;
  maxFiles?: number;
  maxHashBytes?: number;
  maxHashBytesPerScan?: number;
  maxChanges?: number;
  watchListeners?: boolean;
  now?: () => number;
  /** Files never fingerprinted nor reported (the server's own secrets). */
  protect?: ProtectedFiles;
}

export interface ChangeWatcher {
  start(): void;
  stop(): void;
  /** One synchronous pass (the timer calls this; tests call it directly). */
  scan(): Promise<void>;
  /** Recorded changes, oldest first. */
  changes(): readonly WatchedChange[];
  /** The last scan's config files (host path → state). */
  files(): ReadonlyMap<string, WatchedFile>;
  /** When the first scan ran (the baseline); null before it. */
  readonly baselineAtMs: number | null;
  readonly lastScanAtMs: number | null;
  readonly intervalMs: number;
  /** What the last scan could not cover (caps, unreadable tables). */
  warnings(): string[];
}

const DEFAULT_WATCH_INTERVAL_MS = 60_000;
const DEFAULT_MAX_WATCHED_FILES = 2_000;
const MAX_DEPTH = 12;

/** The directory a glob's matches all lie under: the path before its first wildcard segment. */
export function globBase(glob: string): string {
  const segs = glob.split('/');
  const i = segs.findIndex((s) => /[*?[]/.test(s));
  if (i === -1) return segs.slice(0, -1).join('/') || '/';
  return segs.slice(0, i).join('/') || '/';
}

/**
 * A scan is a background task that touches up to 2,000 files every minute: in one piece it held the event loop
 * 24–40 ms for this host's 299 files in /etc (the first scan; a host with 2,000 files and new listeners to attribute
 * is several times that), so it yields (one turn, util/slices.ts) whenever it has run SCAN_SLICE_MS.
 */
const SCAN_SLICE_MS = 5;
const sliceTimer = (): (() => Promise<void> | undefined) => {
  const clock = sliceClock({ sliceMs: SCAN_SLICE_MS, stepsPerCheck: 1 });
  return () => clock.tick();
};

/** Host paths of regular files matching the globs (deny-list applied), at most max; capped says more existed. */
export async function listConfigFiles(ctx: CollectorContext, globs: readonly string[], max: number, protect: ProtectedFiles = NO_PROTECTED_FILES): Promise<{ paths: string[]; capped: boolean }> {
  const res = globs.map((g) => globToRegExp(g));
  const seen = new Set<string>();
  let capped = false;
  const pause = sliceTimer();
  const walk = async (hostDir: string, depth: number): Promise<void> => {
    if (capped || depth > MAX_DEPTH) return;
    await pause();
    let ents;
    try {
      ents = readdirSync(join(ctx.root, hostDir), { withFileTypes: true });
    } catch {
      return;
    }
    ents.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of ents) {
      const p = hostDir === '/' ? `/${e.name}` : `${hostDir}/${e.name}`;
      if (denyReason(p) !== null || isProtected(ctx, p, protect)) continue;
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.isFile() && !seen.has(p) && res.some((r) => r.test(p))) {
        if (seen.size >= max) {
          capped = true;
          return;
        }
        seen.add(p);
      }
      if (capped) return;
    }
  };
  for (const g of globs) {
    if (/[*?[]/.test(g)) await walk(globBase(g), 0);
    else if (!seen.has(g) && denyReason(g) === null && !isProtected(ctx, g, protect) && seen.size < max) {
      // a plain path: just that file
      try {
        if (lstatSync(join(ctx.root, g)).isFile()) seen.add(g);
      } catch {
        /* absent */
      }
    }
  }
  return { paths: [...seen], capped };
}

/** The listed path is one of the protected files (by inode, or by name in a protected directory). */
function isProtected(ctx: CollectorContext, hostPath: string, protect: ProtectedFiles): boolean {
  if (protect === NO_PROTECTED_FILES) return false;
  const abs = join(ctx.root, hostPath);
  try {
    return protect.isProtectedPath(abs, lstatSync(abs));
  } catch {
    return false;
  }
}

/** The per-process fingerprint key: drawn once, never leaves the process. */
const FINGERPRINT_KEY = randomBytes(32);
/** One read buffer for every fingerprint (fingerprintFile is synchronous, so it is never shared by two calls at once). */
let hashBuffer: Buffer | undefined;

/**
 * HMAC-SHA256 of a file under the per-process key, reading at most maxBytes; null when larger, unreadable, reached
 * through a symlink, hard-linked, or protected. Opened once without following symlinks (safe-open.ts), like the
 * file tools, so a swap cannot make the watcher read another file.
 */
function fingerprintFile(rootReal: string, hostPath: string, maxBytes: number, protect: ProtectedFiles = NO_PROTECTED_FILES): string | null {
  const o = openNoFollow(rootReal, hostPath);
  if ('error' in o) return null;
  try {
    if (!o.st.isFile() || o.st.nlink > 1n || o.st.size > BigInt(maxBytes)) return null;
    if (protect.isProtected(o.st, o.dirs.at(-1), hostPath.slice(hostPath.lastIndexOf('/') + 1))) return null;
    const h = createHmac('sha256', FINGERPRINT_KEY);
    const buf = (hashBuffer ??= Buffer.allocUnsafe(64 * 1024));
    let total = 0;
    for (;;) {
      const n = readSync(o.fd, buf, 0, buf.length, total);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) return null;
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } catch {
    return null;
  } finally {
    safeClose(o.fd);
  }
}

interface Listener {
  key: string;
  inode: number;
}

function readListeners(ctx: CollectorContext, warnings: string[]): Map<string, Listener> {
  const t = readSocketTables(ctx, { maxLines: 50_000 });
  warnings.push(...t.warnings);
  const out = new Map<string, Listener>();
  for (const s of t.sockets) {
    const udp = s.proto.startsWith('udp');
    if (udp ? s.state !== 'UNCONN' || s.remotePort !== 0 : s.state !== 'LISTEN') continue;
    const host = s.localAddress.includes(':') ? `[${s.localAddress}]` : s.localAddress;
    const key = `${udp ? 'udp' : 'tcp'} ${host}:${s.localPort}`;
    if (!out.has(key)) out.set(key, { key, inode: s.inode });
  }
  return out;
}

/** "pid 1234 (node)" for the processes holding the given socket inodes (bounded fd scan). */
function ownersOf(ctx: CollectorContext, inodes: readonly number[]): Map<number, string> {
  const pids = (listDir(join(ctx.root, 'proc')) ?? []).filter((n) => /^\d+$/.test(n)).map(Number);
  const state = newInodeScan();
  scanSocketOwners(ctx, pids, state, { maxFdsPerPid: 4096, maxFdsTotal: 200_000 });
  const out = new Map<number, string>();
  for (const inode of inodes) {
    const pid = state.owners.get(inode);
    if (pid === undefined) continue;
    const comm = readLine(join(ctx.root, 'proc', String(pid), 'comm'), 256);
    out.set(inode, `pid ${pid}${comm ? ` (${comm})` : ''}`);
  }
  return out;
}

export function createChangeWatcher(opts: ChangeWatcherOptions): ChangeWatcher {
  const intervalMs = opts.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_WATCHED_FILES;
  const maxHashBytes = opts.maxHashBytes ?? 1024 * 1024;
  const maxHashBytesPerScan = opts.maxHashBytesPerScan ?? 16 * 1024 * 1024; // bounds one scan's event-loop time (~50 ms)
  const maxChanges = opts.maxChanges ?? 1_000;
  const now = opts.now ?? Date.now;
  const protect = opts.protect ?? NO_PROTECTED_FILES;
  let rootReal: string | null = null;
  let files = new Map<string, WatchedFile>();
  let listeners: Map<string, Listener> | null = null;
  let changes: WatchedChange[] = [];
  let warnings: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let first: NodeJS.Timeout | null = null;
  let baselineAtMs: number | null = null;
  let lastScanAtMs: number | null = null;
  let scanning: Promise<void> | null = null;

  const record = (c: WatchedChange) => {
    changes.push(c);
    if (changes.length > maxChanges) changes = changes.slice(changes.length - maxChanges);
  };

  async function scanFiles(t: number, baseline: boolean, warn: string[]): Promise<void> {
    const list = await listConfigFiles(opts.ctx, opts.configFiles, maxFiles, protect);
    const pause = sliceTimer();
    try {
      rootReal ??= realpathSync(opts.ctx.root);
    } catch {
      warn.push('config watch: the collector root is not readable');
      return;
    }
    if (list.capped) warn.push(`config watch: only the first ${maxFiles} allow-listed files are watched`);
    const next = new Map<string, WatchedFile>();
    let hashBudget = maxHashBytesPerScan;
    let deferred = 0;
    for (const p of list.paths) {
      await pause();
      let st;
      try {
        st = lstatSync(join(opts.ctx.root, p));
      } catch {
        continue;
      }
      const prev = files.get(p);
      if (prev && prev.mtimeMs === st.mtimeMs && prev.sizeBytes === st.size && (prev.fingerprint !== null || st.size > maxHashBytes)) {
        next.set(p, prev);
        continue;
      }
      let fp: string | null = null;
      if (st.size <= maxHashBytes && hashBudget >= st.size) {
        fp = fingerprintFile(rootReal, p, maxHashBytes, protect);
        hashBudget -= st.size;
      } else if (st.size <= maxHashBytes) deferred++;
      next.set(p, { mtimeMs: st.mtimeMs, sizeBytes: st.size, fingerprint: fp });
      if (baseline) continue;
      const ts = Math.min(t, st.mtimeMs);
      if (!prev) record({ tsMs: ts, kind: 'config', action: 'created', subject: p, detail: 'created' });
      else if (prev.mtimeMs !== st.mtimeMs || prev.sizeBytes !== st.size || (prev.fingerprint !== null && fp !== null && prev.fingerprint !== fp)) {
        const same = prev.fingerprint !== null && prev.fingerprint === fp;
        const known = (prev.fingerprint !== null && fp !== null) || prev.sizeBytes !== st.size;
        record({
          tsMs: ts,
          kind: 'config',
          action: 'modified',
          subject: p,
          detail: same ? 'mtime changed, content unchanged' : known ? 'content changed' : 'modified (content not compared: too large or not readable)',
        });
      }
    }
    if (!baseline && !list.capped) for (const p of files.keys()) if (!next.has(p)) record({ tsMs: t, kind: 'config', action: 'deleted', subject: p, detail: 'deleted' });
    if (deferred > 0) warn.push(`config watch: the hash budget of this scan (${maxHashBytesPerScan} bytes) was used up; ${deferred} file(s) are hashed in later scans`);
    files = next;
  }

  function scanListeners(t: number, warn: string[]): void {
    const cur = readListeners(opts.ctx, warn);
    if (listeners !== null) {
      const added = [...cur.values()].filter((l) => !listeners!.has(l.key));
      const owners = added.length > 0 ? ownersOf(opts.ctx, added.map((l) => l.inode)) : new Map<number, string>();
      for (const l of added) record({ tsMs: t, kind: 'listener', action: 'opened', subject: l.key, detail: `new listener; ${owners.get(l.inode) ?? 'owner unknown'}` });
      for (const l of listeners.values()) if (!cur.has(l.key)) record({ tsMs: t, kind: 'listener', action: 'closed', subject: l.key, detail: 'listener gone' });
    }
    listeners = cur;
  }

  const w: ChangeWatcher = {
    intervalMs,
    get baselineAtMs() {
      return baselineAtMs;
    },
    get lastScanAtMs() {
      return lastScanAtMs;
    },
    async scan() {
      // One scan at a time: a slow one (a loaded host) is not overlapped by the next tick.
      if (scanning) return scanning;
      scanning = (async () => {
        const t = now();
        const warn: string[] = [];
        try {
          await scanFiles(t, baselineAtMs === null, warn);
          if (opts.watchListeners !== false) {
            await yieldTurn();
            scanListeners(t, warn);
          }
        } catch (e) {
          warn.push(`change watch scan failed: ${String((e as Error).message).slice(0, 120)}`);
        }
        if (baselineAtMs === null) baselineAtMs = t;
        lastScanAtMs = t;
        warnings = warn;
      })().finally(() => {
        scanning = null;
      });
      return scanning;
    },
    start() {
      if (timer) return;
      first = setTimeout(() => void w.scan(), 0);
      first.unref();
      timer = setInterval(() => void w.scan(), intervalMs);
      timer.unref();
    },
    stop() {
      if (first) clearTimeout(first);
      if (timer) clearInterval(timer);
      first = null;
      timer = null;
    },
    changes: () => changes,
    files: () => files,
    warnings: () => warnings,
  };
  return w;
}
