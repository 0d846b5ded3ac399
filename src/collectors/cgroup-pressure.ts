/**
 * Per-cgroup PSI: walks the cgroup v2 hierarchy (sys/fs/cgroup, or sys/fs/cgroup/unified on
 * hybrid hosts) breadth-first, bounded in depth and in cgroups visited, and reads each
 * cgroup's {cpu,memory,io}.pressure. A parent's stalls include its children's.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { readPsiFile } from './pressure.js';
import { pathExists } from './read.js';

const CGROUP_WALK_MAX_DEPTH = 6;
const CGROUP_WALK_MAX_CGROUPS = 2000;

interface CgroupStall {
  /** Path inside the hierarchy, e.g. "/system.slice/postgresql.service". */
  path: string;
  cpuSomeAvg10Pct: number | null;
  memorySomeAvg10Pct: number | null;
  memoryFullAvg10Pct: number | null;
  ioSomeAvg10Pct: number | null;
  ioFullAvg10Pct: number | null;
}

interface CgroupStallWalk {
  /** Hierarchy root relative to the collector root, or null without cgroup v2. */
  root: string | null;
  cgroups: CgroupStall[];
  /** Cgroups examined (the root excluded). */
  visited: number;
  /** True when the depth or count bound stopped the walk. */
  cut: boolean;
  warnings: string[];
}

/** The v2 hierarchy root, relative to ctx.root; null when there is none. */
function cgroupV2Root(ctx: CollectorContext): string | null {
  for (const rel of ['sys/fs/cgroup', 'sys/fs/cgroup/unified']) if (pathExists(join(ctx.root, rel, 'cgroup.controllers'))) return rel;
  return null;
}

function subdirs(path: string): string[] | null {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return null;
  }
}

/** Never throws; malformed pressure files become warnings (at most a few). */
export function walkCgroupStalls(ctx: CollectorContext, maxDepth = CGROUP_WALK_MAX_DEPTH, maxCgroups = CGROUP_WALK_MAX_CGROUPS): CgroupStallWalk {
  const root = cgroupV2Root(ctx);
  const out: CgroupStallWalk = { root, cgroups: [], visited: 0, cut: false, warnings: [] };
  if (root === null) return out;
  const base = join(ctx.root, root);
  const psiWarnings: string[] = [];
  let level: string[] = [''];
  for (let depth = 1; level.length > 0; depth++) {
    const next: string[] = [];
    for (const parent of level) {
      const names = subdirs(join(base, parent));
      if (names === null) continue;
      if (names.length > 0 && depth > maxDepth) {
        out.cut = true;
        continue;
      }
      for (const name of names) {
        if (out.visited >= maxCgroups) {
          out.cut = true;
          break;
        }
        out.visited += 1;
        const rel = `${parent}/${name}`;
        const dir = join(base, rel);
        const label = `${root}${rel}`;
        const cpu = readPsiFile(join(dir, 'cpu.pressure'), `${label}/cpu.pressure`, psiWarnings);
        const memory = readPsiFile(join(dir, 'memory.pressure'), `${label}/memory.pressure`, psiWarnings);
        const io = readPsiFile(join(dir, 'io.pressure'), `${label}/io.pressure`, psiWarnings);
        if (cpu || memory || io) {
          out.cgroups.push({
            path: rel,
            cpuSomeAvg10Pct: cpu?.some.avg10Pct ?? null,
            memorySomeAvg10Pct: memory?.some.avg10Pct ?? null,
            memoryFullAvg10Pct: memory?.full?.avg10Pct ?? null,
            ioSomeAvg10Pct: io?.some.avg10Pct ?? null,
            ioFullAvg10Pct: io?.full?.avg10Pct ?? null,
          });
        }
        next.push(rel);
      }
    }
    level = next;
  }
  if (psiWarnings.length > 0) out.warnings.push(...psiWarnings.slice(0, 3), ...(psiWarnings.length > 3 ? [`${psiWarnings.length - 3} more malformed cgroup pressure files`] : []));
  if (out.cut) out.warnings.push(`cgroup walk stopped at depth ${maxDepth} / ${maxCgroups} cgroups; deeper cgroups are not ranked`);
  return out;
}

/** Ranking score: the worst of memory full, io full and cpu some (avg10, %). */
function stallScore(c: CgroupStall): number {
  return Math.max(c.memoryFullAvg10Pct ?? 0, c.ioFullAvg10Pct ?? 0, c.cpuSomeAvg10Pct ?? 0);
}

/** Cgroups with any stall, worst first (ties: memory full, io full, cpu some, then path). */
export function rankCgroupStalls(cgroups: readonly CgroupStall[]): CgroupStall[] {
  return cgroups
    .filter((c) => stallScore(c) > 0)
    .sort(
      (a, b) =>
        stallScore(b) - stallScore(a) ||
        (b.memoryFullAvg10Pct ?? 0) - (a.memoryFullAvg10Pct ?? 0) ||
        (b.ioFullAvg10Pct ?? 0) - (a.ioFullAvg10Pct ?? 0) ||
        (b.cpuSomeAvg10Pct ?? 0) - (a.cpuSomeAvg10Pct ?? 0) ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
}
