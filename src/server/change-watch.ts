/**
 * The change watcher behind recent_changes: every intervalMs it lists the allow-listed config files
 * (services.limits.configFiles globs, the built-in deny-list of collectors/file-policy.ts applied, symlinks not
 * followed), stats them, hashes (sha256) only files ≤ maxHashBytes whose mtime or size changed, and records
 * created / modified / deleted files; it also records the TCP/UDP listening set and records listeners that
 * appear or disappear. Everything is bounded: files per scan, bytes hashed per scan, changes kept in memory.
 * The first scan is the baseline (no changes); it runs just after start() so createServices stays fast.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from '../collectors/context.js';
import { denyReason, globToRegExp } from '../collectors/file-policy.js';
import { listDir, readLine } from '../collectors/read.js';
import { newInodeScan, readSocketTables, scanSocketOwners } from '../collectors/sockets.js';

export interface WatchedChange {
  tsMs: number;
  kind: 'config' | 'listener';
  action: 'created' | 'modified' | 'deleted' | 'opened' | 'closed';
  subject: string;
  detail: string;
}

export interface WatchedFile {
  mtimeMs: number;
  sizeBytes: number;
  /** null when not hashed (too large, unreadable, or the per-scan hash budget ran out) */
  sha256: string | null;
}

export interface ChangeWatcherOptions {
  ctx: CollectorContext;
  configFiles: readonly string[];
  intervalMs?: number;
  maxFiles?: number;
  maxHashBytes?: number;
  maxHashBytesPerScan?: number;
  maxChanges?: number;
  watchListeners?: boolean;
  now?: () => number;
}

export interface ChangeWatcher {
  start(): void;
  stop(): void;
  /** One synchronous pass (the timer calls this; tests call it directly). */
  scan(): void;
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

export const DEFAULT_WATCH_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_WATCHED_FILES = 2_000;
const MAX_DEPTH = 12;

/** The directory a glob's matches all lie under: the path before its first wildcard segment. */
export function globBase(glob: string): string {
  const segs = glob.split('/');
  const i = segs.findIndex((s) => /[*?[]/.test(s));
  if (i === -1) return segs.slice(0, -1).join('/') || '/';
  return segs.slice(0, i).join('/') || '/';
}

/** Host paths of regular files matching the globs (deny-list applied), at most max; capped says more existed. */
export function listConfigFiles(ctx: CollectorContext, globs: readonly string[], max: number): { paths: string[]; capped: boolean } {
  const res = globs.map((g) => globToRegExp(g));
  const seen = new Set<string>();
  let capped = false;
  const walk = (hostDir: string, depth: number): void => {
    if (capped || depth > MAX_DEPTH) return;
    let ents;
    try {
      ents = readdirSync(join(ctx.root, hostDir), { withFileTypes: true });
    } catch {
      return;
    }
    ents.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of ents) {
      const p = hostDir === '/' ? `/${e.name}` : `${hostDir}/${e.name}`;
      if (denyReason(p) !== null) continue;
      if (e.isDirectory()) walk(p, depth + 1);
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
    if (/[*?[]/.test(g)) walk(globBase(g), 0);
    else if (!seen.has(g) && denyReason(g) === null && seen.size < max) {
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

/** sha256 hex of a file, reading at most maxBytes (null when unreadable or larger). */
/** One read buffer for every hash (hashFile is synchronous, so it is never shared by two calls at once). */
let hashBuffer: Buffer | undefined;

export function hashFile(path: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const h = createHash('sha256');
    const buf = (hashBuffer ??= Buffer.allocUnsafe(64 * 1024));
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) return null;
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } catch {
    return null;
  } finally {
    closeSync(fd);
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

const short = (h: string | null) => (h === null ? 'unhashed' : h.slice(0, 12));

export function createChangeWatcher(opts: ChangeWatcherOptions): ChangeWatcher {
  const intervalMs = opts.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_WATCHED_FILES;
  const maxHashBytes = opts.maxHashBytes ?? 1024 * 1024;
  const maxHashBytesPerScan = opts.maxHashBytesPerScan ?? 16 * 1024 * 1024; // bounds one scan's event-loop time (~50 ms)
  const maxChanges = opts.maxChanges ?? 1_000;
  const now = opts.now ?? Date.now;
  let files = new Map<string, WatchedFile>();
  let listeners: Map<string, Listener> | null = null;
  let changes: WatchedChange[] = [];
  let warnings: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let first: NodeJS.Timeout | null = null;
  let baselineAtMs: number | null = null;
  let lastScanAtMs: number | null = null;

  const record = (c: WatchedChange) => {
    changes.push(c);
    if (changes.length > maxChanges) changes = changes.slice(changes.length - maxChanges);
  };

  function scanFiles(t: number, baseline: boolean, warn: string[]): void {
    const list = listConfigFiles(opts.ctx, opts.configFiles, maxFiles);
    if (list.capped) warn.push(`config watch: only the first ${maxFiles} allow-listed files are watched`);
    const next = new Map<string, WatchedFile>();
    let hashBudget = maxHashBytesPerScan;
    let deferred = 0;
    for (const p of list.paths) {
      let st;
      try {
        st = lstatSync(join(opts.ctx.root, p));
      } catch {
        continue;
      }
      const prev = files.get(p);
      if (prev && prev.mtimeMs === st.mtimeMs && prev.sizeBytes === st.size && (prev.sha256 !== null || st.size > maxHashBytes)) {
        next.set(p, prev);
        continue;
      }
      let sha: string | null = null;
      if (st.size <= maxHashBytes && hashBudget >= st.size) {
        sha = hashFile(join(opts.ctx.root, p), maxHashBytes);
        hashBudget -= st.size;
      } else if (st.size <= maxHashBytes) deferred++;
      next.set(p, { mtimeMs: st.mtimeMs, sizeBytes: st.size, sha256: sha });
      if (baseline) continue;
      const ts = Math.min(t, st.mtimeMs);
      if (!prev) record({ tsMs: ts, kind: 'config', action: 'created', subject: p, detail: `created: ${st.size} bytes, sha256 ${short(sha)}` });
      else if (prev.mtimeMs !== st.mtimeMs || prev.sizeBytes !== st.size || (prev.sha256 !== null && sha !== null && prev.sha256 !== sha)) {
        const same = prev.sha256 !== null && prev.sha256 === sha;
        record({
          tsMs: ts,
          kind: 'config',
          action: 'modified',
          subject: p,
          detail: same
            ? `mtime changed, content unchanged (sha256 ${short(sha)})`
            : `content changed: sha256 ${short(prev.sha256)} → ${short(sha)}, ${prev.sizeBytes} → ${st.size} bytes`,
        });
      }
    }
    if (!baseline && !list.capped) for (const [p, f] of files) if (!next.has(p)) record({ tsMs: t, kind: 'config', action: 'deleted', subject: p, detail: `deleted (was ${f.sizeBytes} bytes, sha256 ${short(f.sha256)})` });
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
    scan() {
      const t = now();
      const warn: string[] = [];
      try {
        scanFiles(t, baselineAtMs === null, warn);
        if (opts.watchListeners !== false) scanListeners(t, warn);
      } catch (e) {
        warn.push(`change watch scan failed: ${String((e as Error).message).slice(0, 120)}`);
      }
      if (baselineAtMs === null) baselineAtMs = t;
      lastScanAtMs = t;
      warnings = warn;
    },
    start() {
      if (timer) return;
      first = setTimeout(() => w.scan(), 0);
      first.unref();
      timer = setInterval(() => w.scan(), intervalMs);
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
