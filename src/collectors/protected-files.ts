/**
 * Files no tool may read or list, by device and inode, whatever the allow-lists say: the server's own secrets
 * (token files, its config file, the audit log and its rotations) and the built-in deny-list files that exist at
 * start (/etc/shadow, /etc/gshadow, opasswd, ssh host keys, /etc/ssl/private, /root/.ssh). By inode, so a hard link
 * or a rename of one under an allowed name is still refused; and by (directory inode, name), so a file replaced at
 * the same name (an editor's write-and-rename, a log rotation) stays protected. A COPY is another inode with other
 * content ownership and is not caught here (the name and content rules still apply to it).
 *
 * Built once at the composition root (app/host-services.ts, serve.ts) and passed down; collectors only query it.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { BigIntStats, Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_ROOT } from './context.js';

type AnyStats = Pick<Stats, 'dev' | 'ino'> | Pick<BigIntStats, 'dev' | 'ino'>;

export interface ProtectedFiles {
  /** The file (its stats, its parent directory's stats and its name there) is protected. */
  isProtected(file: AnyStats, parent?: AnyStats | null, name?: string): boolean;
  /** Same, for a listing that only has the absolute path (the parent is compared by path as well as inode). */
  isProtectedPath(abs: string, file: AnyStats): boolean;
  /** How many inodes are protected now (for tests and readiness). */
  readonly size: number;
}

interface ProtectedFilesOptions {
  /** Root the built-in list is looked up under ('/' in production; a fixture root in tests). */
  root?: string;
  /** Absolute paths of single files on this machine (token files, the config file). */
  files?: readonly string[];
  /** Files with their rotations: every name in the file's directory starting with its name (audit.jsonl, audit.jsonl.1, …). */
  families?: readonly string[];
  /** Add the built-in deny-list files that exist under root (default true). */
  builtIn?: boolean;
}

/** Built-in secrets looked up under the root at start: plain files, and directories whose files are all protected. */
const BUILT_IN_FILES = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/security/opasswd'];
const BUILT_IN_DIRS: ReadonlyArray<readonly [string, RegExp]> = [
  ['/etc/ssh', /^ssh_host_.*_key$/],
  ['/etc/ssl/private', /./],
  ['/root/.ssh', /./],
];
/** A directory of protected rotations is re-listed at most this often (a readdir of a few entries). */
const FAMILY_REFRESH_MS = 1000;
const MAX_FAMILY_ENTRIES = 256;

const key = (s: AnyStats): string => `${s.dev}:${s.ino}`;

interface Family {
  dirAbs: string;
  dirKey: string;
  name: string;
  /** true: only this exact name; false: the name and every name starting with it (rotations). */
  exact: boolean;
  members: Set<string>;
  refreshedAtMs: number;
}

function tryStat(abs: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(abs) : lstatSync(abs);
  } catch {
    return null;
  }
}

export function createProtectedFiles(opts: ProtectedFilesOptions = {}): ProtectedFiles {
  const inodes = new Set<string>();
  const families: Family[] = [];
  const addFamily = (abs: string, exact: boolean): void => {
    let dirAbs: string;
    try {
      dirAbs = realpathSync(dirname(abs));
    } catch {
      return;
    }
    const dir = tryStat(dirAbs, true);
    if (!dir) return;
    const f: Family = { dirAbs, dirKey: key(dir), name: basename(abs), exact, members: new Set(), refreshedAtMs: 0 };
    families.push(f);
    refresh(f, Date.now());
  };
  const refresh = (f: Family, nowMs: number): void => {
    f.refreshedAtMs = nowMs;
    let names: string[];
    try {
      names = readdirSync(f.dirAbs).slice(0, MAX_FAMILY_ENTRIES);
    } catch {
      return;
    }
    for (const n of names) {
      if (!(n === f.name || (!f.exact && n.startsWith(f.name)))) continue;
      const st = tryStat(join(f.dirAbs, n), false);
      if (st?.isFile()) f.members.add(key(st));
    }
  };
  const addFile = (abs: string): void => {
    // The name itself (lstat) and, when it is a symlink, what it points to (stat).
    for (const follow of [false, true]) {
      const st = tryStat(abs, follow);
      if (st?.isFile()) inodes.add(key(st));
    }
  };
  for (const f of opts.files ?? []) {
    addFile(f);
    addFamily(f, true);
  }
  for (const f of opts.families ?? []) {
    addFile(f);
    addFamily(f, false);
  }
  if (opts.builtIn !== false) {
    const root = opts.root ?? DEFAULT_ROOT;
    for (const f of BUILT_IN_FILES) addFile(join(root, f));
    for (const [d, re] of BUILT_IN_DIRS) {
      let names: string[];
      try {
        names = readdirSync(join(root, d)).slice(0, MAX_FAMILY_ENTRIES);
      } catch {
        continue;
      }
      for (const n of names) if (re.test(n) && !n.endsWith('.pub')) addFile(join(root, d, n));
    }
  }
  const inFamily = (fileKey: string, parentKey: string | null, parentAbs: string | null, name: string | undefined): boolean => {
    const nowMs = Date.now();
    for (const f of families) {
      const sameDir = (parentKey !== null && parentKey === f.dirKey) || (parentAbs !== null && parentAbs === f.dirAbs);
      if (sameDir && name !== undefined && (name === f.name || (!f.exact && name.startsWith(f.name)))) return true;
      if (nowMs - f.refreshedAtMs >= FAMILY_REFRESH_MS) refresh(f, nowMs);
      if (f.members.has(fileKey)) return true;
    }
    return false;
  };
  return {
    isProtected(file, parent, name) {
      const k = key(file);
      return inodes.has(k) || inFamily(k, parent ? key(parent) : null, null, name);
    },
    isProtectedPath(abs, file) {
      const k = key(file);
      return inodes.has(k) || inFamily(k, null, dirname(abs), basename(abs));
    },
    get size() {
      return inodes.size + families.reduce((n, f) => n + f.members.size, 0);
    },
  };
}

/** Nothing protected beyond the name rules (collectors used without a composition root, e.g. in unit tests). */
export const NO_PROTECTED_FILES: ProtectedFiles = { isProtected: () => false, isProtectedPath: () => false, size: 0 };
