/**
 * The collector context: every collector reads through this, never through hard-coded paths, so
 * tests can point a collector at a recorded fixture tree instead of the live host.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { readText } from './read.js';

/** What statfs(2) reports, in the shape of node's `fs.StatFs` (block counts, not bytes). */
export interface StatfsResult {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export interface CollectorContext {
  /** '/' in production; a fixture directory in tests. Every path is join(root, 'proc', ...) etc. */
  root: string;
  /**
   * statfs of a mount point *as seen on the host* (e.g. '/var'). Production: fs.statfsSync(join(root, path));
   * fixtures: values recorded in <root>/statfs.json. Null when the call fails (EACCES, ENOENT, ...).
   */
  statfs: (path: string) => StatfsResult | null;
  /** USER_HZ: the unit of every tick counter in /proc (100 on every mainstream Linux architecture). */
  clockTicks: number;
  /** Page size in bytes, used for page-counted fields (proc/[pid]/stat rss, vmstat pswpin). */
  pageSize: number;
}

/** The live host's root; a recorded tree replays a host under another root (config `root`). */
export const DEFAULT_ROOT = '/';

interface CreateCollectorContextOptions {
  root?: string;
  clockTicks?: number;
  pageSize?: number;
}

const STATFS_KEYS = ['type', 'bsize', 'blocks', 'bfree', 'bavail', 'files', 'ffree'] as const;

/** Validates one recorded statfs entry; null when a field is missing or not a finite number. */
export function toStatfsResult(v: unknown): StatfsResult | null {
  if (typeof v !== 'object' || v === null) return null;
  const rec = v as Record<string, unknown>;
  const out: Partial<StatfsResult> = {};
  for (const k of STATFS_KEYS) {
    const n = rec[k];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return null;
    out[k] = n;
  }
  return out as StatfsResult;
}

function liveStatfs(root: string): (path: string) => StatfsResult | null {
  return (path: string) => {
    try {
      const s = statfsSync(join(root, path));
      return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
    } catch {
      return null;
    }
  };
}

function recordedStatfs(file: string): ((path: string) => StatfsResult | null) | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const table = new Map<string, StatfsResult | null>();
  for (const [mount, value] of Object.entries(parsed as Record<string, unknown>)) table.set(mount, toStatfsResult(value));
  return (path: string) => table.get(path) ?? null;
}

/**
 * Page size without spawning getconf: the first mapping in proc/self/smaps states KernelPageSize.
 * Only meaningful on the live host (root '/'); 4096 otherwise or when unreadable.
 */
function detectPageSize(root: string): number {
  if (root !== '/') return 4096;
  const head = readText(join(root, 'proc/self/smaps'), 4096);
  const m = head === null ? null : /KernelPageSize:\s+(\d+)\s+kB/.exec(head);
  const kb = m ? Number(m[1]) : NaN;
  return Number.isFinite(kb) && kb > 0 ? kb * 1024 : 4096;
}

/**
 * Builds a context for `root` (default '/'). For a fixture root, <root>/statfs.json (when present) supplies
 * recorded statfs values keyed by mount point; without it every statfs answers null.
 */
export function createCollectorContext(opts: CreateCollectorContextOptions = {}): CollectorContext {
  const root = opts.root ?? DEFAULT_ROOT;
  const statfs = root === '/' ? liveStatfs(root) : (recordedStatfs(join(root, 'statfs.json')) ?? (() => null));
  return {
    root,
    statfs,
    clockTicks: opts.clockTicks ?? 100,
    pageSize: opts.pageSize ?? detectPageSize(root),
  };
}
