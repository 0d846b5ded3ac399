/**
 * find_space_hogs: the biggest entries under an allow-listed directory (bounded du) and the deleted-but-open
 * files that still hold space host-wide.
 */
import { z } from 'zod';
import { HostlensError } from '../contracts/errors.js';
import type { HostInputs } from './host-inputs.js';
import type { DeletedOpenFile, SpaceEntry } from '../collectors/space.js';
import { deletedOpenTotalBytes, resolveScanPath, scanDeletedOpen, walkSpace } from '../collectors/space.js';

const SPACE_MAX_FILES = 200_000;
const DELETED_MAX_FDS = 100_000;

const spaceEntrySchema = z.object({
  path: z.string(),
  /** withheld: the deny-listed or protected entries of one directory (.ssh, key files, the server's own secrets), counted without names */
  type: z.enum(['dir', 'file', 'other', 'withheld']),
  /** allocated bytes (blocks × 512), a directory including everything walked below it */
  sizeBytes: z.number().int().nonnegative(),
  /** files (non-directories) counted in sizeBytes */
  fileCount: z.number().int().nonnegative(),
  /** false when part of it was not walked (time or file cap, unreadable, another filesystem): sizeBytes is then a lower bound */
  complete: z.boolean(),
});

const deletedOpenSchema = z.object({
  pid: z.number().int(),
  comm: z.string().nullable(),
  fd: z.number().int(),
  /** the path the file had before it was deleted; "(withheld)" for a deny-listed or protected file */
  path: z.string(),
  /** allocated bytes still held; freed only when the process closes it (or restarts) */
  sizeBytes: z.number().int().nonnegative().nullable(),
});

export const spaceDataSchema = z.object({
  /** the directory walked (after realpath) */
  path: z.string(),
  depth: z.number().int(),
  /** allocated bytes of everything walked under path */
  totalBytes: z.number().int().nonnegative(),
  totalFiles: z.number().int().nonnegative(),
  /** files and directories down to `depth` levels below path, largest first */
  entries: z.array(spaceEntrySchema),
  scanned: z.object({
    /** entries examined (lstat) */
    files: z.number().int().nonnegative(),
    dirs: z.number().int().nonnegative(),
    ms: z.number().int().nonnegative(),
    /** false when the walk was cut (timeoutMs, file cap), met unreadable directories or other filesystems */
    complete: z.boolean(),
  }),
  /** host-wide (not limited to path): files deleted while a process still holds them open, largest first */
  deletedOpen: z.array(deletedOpenSchema),
  deletedOpenSummary: z.object({
    count: z.number().int().nonnegative(),
    /** each file counted once however many fds hold it */
    totalBytes: z.number().int().nonnegative(),
    processesScanned: z.number().int().nonnegative(),
    /** processes whose fds could not be listed (other users without privileges) */
    processesUnreadable: z.number().int().nonnegative(),
    complete: z.boolean(),
  }),
});
type SpaceData = z.infer<typeof spaceDataSchema>;

interface FindSpaceOptions {
  path: string;
  depth: number;
  timeoutMs: number;
  deletedLimit: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
  maxFiles?: number;
}

const bySizeDesc = (a: { sizeBytes: number | null; path: string }, b: { sizeBytes: number | null; path: string }): number =>
  (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Walks and scans; `entries` come back complete and sorted (the tool pages them). */
export async function findSpaceHogs(services: HostInputs, o: FindSpaceOptions): Promise<{ data: SpaceData; warnings: string[] }> {
  const ctx = services.collectors;
  const r = resolveScanPath(ctx, o.path, services.limits.scanRoots);
  // A path outside the roots, refused or missing: the caller passes another one.
  if ('error' in r) throw new HostlensError('invalid_argument', r.error);
  const t0 = performance.now();
  const deadline = t0 + o.timeoutMs;
  await o.progress?.(0, 'scanning open files for deleted ones');
  // The fd scan is cheap (a readlink per fd) but bounded to half the time so the walk always gets its share.
  const protect = services.protectedFiles ? { protect: services.protectedFiles } : {};
  const del = await scanDeletedOpen(ctx, { maxFds: DELETED_MAX_FDS, deadline: t0 + o.timeoutMs / 2, ...(o.signal ? { signal: o.signal } : {}), ...protect });
  await o.progress?.(0.1, `walking ${r.host}`);
  const walk = await walkSpace(r.abs, r.host, {
    depth: o.depth,
    maxFiles: o.maxFiles ?? SPACE_MAX_FILES,
    deadline,
    ...(o.signal ? { signal: o.signal } : {}),
    ...protect,
    onBatch: () => o.progress?.(Math.min(0.99, 0.1 + (0.9 * (performance.now() - t0)) / o.timeoutMs)),
  });
  await o.progress?.(1);
  const warnings = [...walk.warnings];
  if (!del.complete) warnings.push(`deleted-open scan stopped after ${del.fds} fds (time or cap): deletedOpen may miss some`);
  if (del.unreadable > 0) warnings.push(`${del.unreadable} processes' fds could not be read (run with more privileges to see them)`);
  const files: DeletedOpenFile[] = [...del.files].sort(bySizeDesc);
  const entries: SpaceEntry[] = [...walk.entries].sort(bySizeDesc);
  return {
    data: {
      path: r.host,
      depth: o.depth,
      totalBytes: walk.totalBytes,
      totalFiles: walk.totalFiles,
      entries,
      scanned: { ...walk.scanned, ms: Math.round(performance.now() - t0) },
      deletedOpen: files.slice(0, o.deletedLimit).map(({ inode: _inode, ...f }) => f),
      deletedOpenSummary: {
        count: files.length,
        totalBytes: deletedOpenTotalBytes(files),
        processesScanned: del.processes,
        processesUnreadable: del.unreadable,
        complete: del.complete,
      },
    },
    warnings,
  };
}
