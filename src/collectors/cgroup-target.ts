/**
 * Finding one cgroup for get_cgroup: by process (proc/<pid>/cgroup), by systemd unit name (a bounded
 * breadth-first search of the hierarchy for a directory of that name) or by cgroup path (validated: absolute,
 * no "." / ".." segments, and its realpath must stay inside the controller mount). Works on cgroup v2, v1 and
 * hybrid hosts; never throws — a target that cannot be found comes back as `{ error }`.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join, posix, sep } from 'node:path';
import type { CgroupInfo, CgroupMode } from './cgroup.js';
import { V1_MOUNTS, newCgroupInfo, readCgroup, readV1Dirs, readV2Dir, v1Mount } from './cgroup.js';
import type { CollectorContext } from './context.js';
import { pathExists } from './read.js';

export type CgroupTarget = { pid: number } | { unit: string } | { path: string };

const UNIT_SEARCH_MAX_DEPTH = 8;
const UNIT_SEARCH_MAX_DIRS = 5000;
const V2_MOUNT = 'sys/fs/cgroup';

/** A systemd unit name (letters, digits, ":_.@-" and "\x2d"-style escapes); a bare name means NAME.service. */
const UNIT_RE = /^[A-Za-z0-9:_.@\\-]{1,255}$/;

export function normalizeUnitName(unit: string): string | null {
  if (!UNIT_RE.test(unit) || unit.startsWith('.') || unit.includes('..')) return null;
  return /\.(service|scope|slice|socket|mount|swap|target|timer|path|device|automount)$/.test(unit) ? unit : `${unit}.service`;
}

/** A cgroup path "/a/b.service": absolute, ≤ 1024 chars, no empty, "." or ".." segments, no NUL. Null when invalid. */
export function normalizeCgroupPath(path: string): string | null {
  if (!path.startsWith('/') || path.length > 1024 || path.includes('\0')) return null;
  const segs = path.split('/').slice(1);
  if (path === '/') return '/';
  if (segs.some((s, i) => s === '.' || s === '..' || (s === '' && i < segs.length - 1))) return null;
  return `/${segs.filter((s) => s !== '').join('/')}`;
}

/** The host's hierarchy: 'v2' when sys/fs/cgroup is cgroup2, 'v1' when per-controller mounts exist (hybrid included). */
export function hierarchyMode(ctx: CollectorContext): CgroupMode {
  if (pathExists(join(ctx.root, V2_MOUNT, 'cgroup.controllers'))) return 'v2';
  for (const c of Object.keys(V1_MOUNTS)) if (v1Mount(ctx, c) !== null) return pathExists(join(ctx.root, V2_MOUNT, 'unified/cgroup.controllers')) ? 'hybrid' : 'v1';
  return 'none';
}

/** rel (under ctx.root) when it is a directory whose realpath stays inside the mount's realpath; else null. */
function insideMount(ctx: CollectorContext, mountRel: string, path: string): string | null {
  const rel = path === '/' ? mountRel : posix.join(mountRel, path);
  try {
    const mountReal = realpathSync(join(ctx.root, mountRel));
    const real = realpathSync(join(ctx.root, rel));
    if (real !== mountReal && !real.startsWith(mountReal + sep)) return null;
    return statSync(real).isDirectory() ? rel : null;
  } catch {
    return null;
  }
}

/**
 * Breadth-first search of one hierarchy (mount relative to root) for a directory named `unit`; the shallowest
 * match wins. Bounded by depth and by directories listed; `cut` says the bound stopped it.
 */
export function findUnitPath(ctx: CollectorContext, mountRel: string, unit: string, maxDepth = UNIT_SEARCH_MAX_DEPTH, maxDirs = UNIT_SEARCH_MAX_DIRS): { path: string | null; visited: number; cut: boolean } {
  let level = [''];
  let visited = 0;
  for (let depth = 1; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const parent of level) {
      if (visited >= maxDirs) return { path: null, visited, cut: true };
      visited++;
      let entries: Dirent[] = [];
      try {
        entries = readdirSync(join(ctx.root, mountRel, parent), { withFileTypes: true });
      } catch {
        /* vanished or unreadable: nothing below it */
      }
      const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
      if (names.includes(unit)) return { path: `${parent}/${unit}`, visited, cut: false };
      for (const name of names.sort()) next.push(`${parent}/${name}`);
    }
    level = next;
  }
  return { path: null, visited, cut: level.length > 0 };
}

/** Where to search for unit cgroups: the v2 root, or on v1 the systemd named hierarchy, then memory, then cpu. */
function searchMounts(ctx: CollectorContext, mode: CgroupMode): string[] {
  if (mode === 'v2') return [V2_MOUNT];
  const out = ['sys/fs/cgroup/systemd', 'sys/fs/cgroup/unified'].filter((m) => pathExists(join(ctx.root, m)));
  for (const c of ['memory', 'cpu', 'pids']) {
    const m = v1Mount(ctx, c);
    if (m !== null && !out.includes(m)) out.push(m);
  }
  return out;
}

/** Reads the cgroup at a validated path; error when no controller has it. */
function readCgroupPath(ctx: CollectorContext, path: string): { info: CgroupInfo } | { error: string } {
  const mode = hierarchyMode(ctx);
  const info = newCgroupInfo(mode);
  if (mode === 'v2') {
    const dir = insideMount(ctx, V2_MOUNT, path);
    if (dir === null) return { error: `no cgroup ${path} under /sys/fs/cgroup` };
    readV2Dir(ctx, path, dir, info);
    return { info };
  }
  if (mode === 'none') return { error: 'no cgroup hierarchy is mounted under /sys/fs/cgroup' };
  const dirs: Record<string, string> = {};
  const missing: string[] = [];
  for (const c of Object.keys(V1_MOUNTS)) {
    const mount = v1Mount(ctx, c);
    if (mount === null) continue;
    const dir = insideMount(ctx, mount, path);
    if (dir !== null) dirs[c] = dir;
    else missing.push(c);
  }
  const unified = mode === 'hybrid' ? insideMount(ctx, `${V2_MOUNT}/unified`, path) : null;
  const named = insideMount(ctx, `${V2_MOUNT}/systemd`, path) !== null;
  if (Object.keys(dirs).length === 0 && unified === null && !named) return { error: `no cgroup ${path} in any cgroup v1 controller under /sys/fs/cgroup` };
  readV1Dirs(ctx, path, dirs, unified, info);
  if (missing.length > 0) info.warnings.push(`${path} is absent from the ${missing.join(', ')} controller(s) (accounting off for it?): those fields are null`);
  return { info };
}

/** Resolves and reads a target. */
export function readCgroupTarget(ctx: CollectorContext, target: CgroupTarget): { info: CgroupInfo } | { error: string } {
  if ('pid' in target) {
    if (!pathExists(join(ctx.root, 'proc', String(target.pid), 'cgroup'))) return { error: `no process with pid ${target.pid} (or its proc/${target.pid}/cgroup is unreadable)` };
    const info = readCgroup(ctx, target.pid);
    if (info.version === null) return { error: `pid ${target.pid}: no cgroup hierarchy found (${info.mode})` };
    notVisible(ctx, info);
    return { info };
  }
  if ('unit' in target) {
    const unit = normalizeUnitName(target.unit);
    if (unit === null) return { error: `"${target.unit.slice(0, 64)}" is not a systemd unit name (letters, digits and ":_.@-", e.g. nginx.service)` };
    let cut = false;
    for (const mount of searchMounts(ctx, hierarchyMode(ctx))) {
      const r = findUnitPath(ctx, mount, unit);
      cut ||= r.cut;
      if (r.path !== null) return readCgroupPath(ctx, r.path);
    }
    return { error: `no cgroup for unit ${unit}${cut ? ` within the search bounds (depth ${UNIT_SEARCH_MAX_DEPTH}, ${UNIT_SEARCH_MAX_DIRS} cgroups): pass its path instead` : ' (is it running?)'}` };
  }
  const path = normalizeCgroupPath(target.path);
  if (path === null) return { error: `invalid cgroup path "${target.path.slice(0, 64)}": it must be absolute, like /system.slice/nginx.service, without "." or ".." segments` };
  return readCgroupPath(ctx, path);
}

/** A pid whose cgroup path is not visible here (private cgroup namespace) was read at the mount root: say so. */
function notVisible(ctx: CollectorContext, info: CgroupInfo): void {
  if (info.path === null || info.path === '/') return;
  const dir = info.version === 2 ? info.dir : (info.dirs.memory ?? info.dirs.cpu ?? null);
  if (dir !== null && !dir.endsWith(info.path)) info.warnings.push(`cgroup ${info.path} is not visible under this mount (cgroup namespace): values are from ${dir}`);
}
