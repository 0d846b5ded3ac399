/**
 * Mounted filesystems and their capacity (df semantics).
 *
 * Classification (the `category` field; `pseudo` = hidden by default):
 *  - 'pseudo':  kernel interfaces with no capacity worth reporting — proc, sysfs, cgroup, cgroup2, devpts, devtmpfs,
 *               mqueue, debugfs, tracefs, securityfs, pstore, bpf, configfs, fusectl, binfmt_misc, nsfs, autofs, ... —
 *               and ANY mount under /proc or /sys (e.g. a tmpfs on /sys/fs/cgroup, lxcfs files on /proc/meminfo).
 *               devtmpfs is pseudo: it only holds device nodes and never fills in practice. statfs is never called
 *               on pseudo mounts (an autofs trigger could block), so their capacity fields are null.
 *  - 'image':   read-only images that are 100 % full by construction (squashfs snaps, iso9660). Hidden by default
 *               (pseudo = true) so they never look like "disk full".
 *  - 'memory':  tmpfs/ramfs. Shown (pseudo = false): a full /run or /dev/shm breaks services and its pages are RAM.
 *  - 'network': nfs, cifs, ceph, sshfs, ... Shown, but statfs is skipped by default because statfs on a hung
 *               server blocks the (synchronous) caller indefinitely; pass statfsNetwork: true to include them.
 *  - 'disk':    everything else, including overlay (a container's root) and fuseblk.
 * Bind mounts of the same device are reported once (the entry mounting the filesystem root, else the shortest
 * path); the other mount points are listed in `alsoMountedAt`.
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { pct, readTextDetailed } from './read.js';

type FsCategory = 'disk' | 'network' | 'memory' | 'image' | 'pseudo';

interface MountEntry {
  mount: string;
  device: string;
  fsType: string;
  /** major:minor from mountinfo (null when read from proc/mounts). */
  devId: string | null;
  /** The path inside the filesystem that is mounted here ('/' unless a bind mount / subvolume). */
  fsRoot: string;
  options: string[];
  readOnly: boolean;
}

interface FilesystemInfo {
  mount: string;
  device: string;
  fsType: string;
  category: FsCategory;
  pseudo: boolean;
  readOnly: boolean;
  sizeBytes: number | null;
  usedBytes: number | null;
  availBytes: number | null;
  /** used / (used + avail), like df; 0–100. */
  usedPct: number | null;
  inodesTotal: number | null;
  inodesUsed: number | null;
  inodesUsedPct: number | null;
  alsoMountedAt: string[];
}

interface ReadFilesystemsOptions {
  /** Include pseudo and image filesystems (default false). */
  includePseudo?: boolean;
  /** Only this mount point. */
  mount?: string;
  /** statfs network filesystems too (default false: a hung server would block). */
  statfsNetwork?: boolean;
  /** Maximum filesystems returned (default 200); statfs is called only for those returned. */
  maxMounts?: number;
}

interface FilesystemsResult {
  filesystems: FilesystemInfo[];
  /** Present when more filesystems matched than maxMounts. */
  truncated?: { returned: number; total: number };
  /** Mount entries after dedupe and filtering, before the cap. */
  totalMatched: number;
  /** Entries hidden because pseudo (when includePseudo is false). */
  hiddenPseudoCount: number;
  warnings: string[];
}

const PSEUDO_TYPES = new Set([
  'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'devtmpfs', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore',
  'bpf', 'configfs', 'fusectl', 'binfmt_misc', 'nsfs', 'autofs', 'hugetlbfs', 'rpc_pipefs', 'efivarfs', 'selinuxfs',
  'fuse.lxcfs', 'fuse.gvfsd-fuse', 'fuse.portal',
]);
const IMAGE_TYPES = new Set(['squashfs', 'iso9660', 'udf', 'erofs']);
const MEMORY_TYPES = new Set(['tmpfs', 'ramfs']);
const NETWORK_TYPES = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', 'fuse.glusterfs', 'fuse.sshfs', 'fuse.s3fs',
  'fuse.rclone', 'afs', '9p', 'lustre', 'gpfs', 'beegfs', 'ocfs2', 'gfs2', 'fuse.ceph-fuse', 'davfs', 'fuse.davfs',
]);

/** Decodes the octal escapes the kernel uses in mount tables (\040 space, \011 tab, \012 newline, \134 backslash). */
export function decodeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function classifyFilesystem(fsType: string, mount: string): FsCategory {
  if (mount === '/proc' || mount.startsWith('/proc/') || mount === '/sys' || mount.startsWith('/sys/')) return 'pseudo';
  if (PSEUDO_TYPES.has(fsType)) return 'pseudo';
  if (IMAGE_TYPES.has(fsType)) return 'image';
  if (MEMORY_TYPES.has(fsType)) return 'memory';
  if (NETWORK_TYPES.has(fsType)) return 'network';
  return 'disk';
}

/** Parses proc/[pid]/mountinfo. Malformed lines are counted, not thrown. */
export function parseMountInfo(text: string): { entries: MountEntry[]; badLines: number } {
  const entries: MountEntry[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.split(' ');
    const sep = parts.indexOf('-', 6);
    if (parts.length < 10 || sep < 0 || sep + 2 >= parts.length) {
      badLines++;
      continue;
    }
    const fsType = parts[sep + 1]!;
    const superOpts = (parts[sep + 3] ?? '').split(',');
    const mountOpts = parts[5]!.split(',');
    entries.push({
      devId: parts[2]!,
      fsRoot: decodeMountField(parts[3]!),
      mount: decodeMountField(parts[4]!),
      device: decodeMountField(parts[sep + 2]!),
      fsType,
      options: mountOpts,
      readOnly: mountOpts.includes('ro') || superOpts.includes('ro'),
    });
  }
  return { entries, badLines };
}

/** Parses proc/mounts (fstab format: device mount type options dump pass). */
function parseProcMounts(text: string): { entries: MountEntry[]; badLines: number } {
  const entries: MountEntry[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const p = line.split(' ');
    if (p.length < 4) {
      badLines++;
      continue;
    }
    const options = p[3]!.split(',');
    entries.push({
      device: decodeMountField(p[0]!),
      mount: decodeMountField(p[1]!),
      fsType: p[2]!,
      devId: null,
      fsRoot: '/',
      options,
      readOnly: options.includes('ro'),
    });
  }
  return { entries, badLines };
}

/** Mount table from proc/self/mountinfo, else proc/mounts. */
export function readMounts(ctx: CollectorContext): { entries: MountEntry[]; source: string | null; warnings: string[] } {
  const warnings: string[] = [];
  for (const [rel, parse] of [
    ['proc/self/mountinfo', parseMountInfo],
    ['proc/mounts', parseProcMounts],
  ] as const) {
    const r = readTextDetailed(join(ctx.root, rel), 4 * 1024 * 1024);
    if (r.text === null) continue;
    if (r.truncated) warnings.push(`${rel}: larger than 4 MiB, tail ignored`);
    const { entries, badLines } = parse(r.text);
    if (badLines > 0) warnings.push(`${rel}: ${badLines} malformed line(s) skipped`);
    if (entries.length === 0 && rel === 'proc/self/mountinfo') continue;
    return { entries, source: rel, warnings };
  }
  warnings.push('no readable mount table (proc/self/mountinfo, proc/mounts)');
  return { entries: [], source: null, warnings };
}

/**
 * Keeps the visible entry per mount point (the last one: a later mount over the same path hides the earlier one),
 * then one entry per device (bind mounts), preferring the entry that mounts the filesystem root, then the shortest path.
 */
export function dedupeMounts(entries: readonly MountEntry[]): Array<MountEntry & { alsoMountedAt: string[] }> {
  const byPath = new Map<string, MountEntry>();
  for (const e of entries) {
    byPath.delete(e.mount); // re-insert so order follows the visible mount
    byPath.set(e.mount, e);
  }
  const byDevice = new Map<string, Array<MountEntry>>();
  const order: string[] = [];
  for (const e of byPath.values()) {
    // Pseudo filesystems often share a device name ("none", "proc"); only dedupe on a real device id.
    const key = e.devId !== null ? `id:${e.devId}` : `dev:${e.device}:${e.fsType}`;
    const group = byDevice.get(key);
    if (group) group.push(e);
    else {
      byDevice.set(key, [e]);
      order.push(key);
    }
  }
  const out: Array<MountEntry & { alsoMountedAt: string[] }> = [];
  for (const key of order) {
    const group = byDevice.get(key)!;
    const best = [...group].sort((a, b) => {
      const ra = a.fsRoot === '/' ? 0 : 1;
      const rb = b.fsRoot === '/' ? 0 : 1;
      return ra - rb || a.mount.length - b.mount.length;
    })[0]!;
    out.push({ ...best, alsoMountedAt: group.filter((g) => g !== best).map((g) => g.mount) });
  }
  return out;
}

function capacity(ctx: CollectorContext, e: MountEntry, warnings: string[]): Pick<FilesystemInfo, 'sizeBytes' | 'usedBytes' | 'availBytes' | 'usedPct' | 'inodesTotal' | 'inodesUsed' | 'inodesUsedPct'> {
  const none = { sizeBytes: null, usedBytes: null, availBytes: null, usedPct: null, inodesTotal: null, inodesUsed: null, inodesUsedPct: null };
  const s = ctx.statfs(e.mount);
  if (!s) {
    warnings.push(`statfs ${e.mount}: unavailable`);
    return none;
  }
  const sizeBytes = s.blocks * s.bsize;
  const usedBytes = Math.max(0, s.blocks - s.bfree) * s.bsize;
  const availBytes = s.bavail * s.bsize;
  // df: used / (used + avail), rounding up so a nearly-full filesystem never shows as less full than it is.
  const denom = usedBytes + availBytes;
  // The tiny epsilon keeps an exact 99.5 from becoming 99.6 through floating-point noise.
  const usedPct = denom > 0 ? Math.min(100, Math.max(0, Math.ceil((usedBytes / denom) * 1000 - 1e-6) / 10)) : null;
  const inodesTotal = s.files > 0 ? s.files : null; // btrfs and some others report 0 inodes: unknown, not empty
  const inodesUsed = inodesTotal !== null ? Math.max(0, s.files - s.ffree) : null;
  return {
    sizeBytes,
    usedBytes,
    availBytes,
    usedPct,
    inodesTotal,
    inodesUsed,
    inodesUsedPct: inodesTotal !== null && inodesUsed !== null ? pct(inodesUsed, inodesTotal) : null,
  };
}

/** Filesystems with capacity and inode usage. Bounded by maxMounts; never throws. */
export function readFilesystems(ctx: CollectorContext, opts: ReadFilesystemsOptions = {}): FilesystemsResult {
  const maxMounts = Math.max(1, Math.floor(opts.maxMounts ?? 200));
  const { entries, warnings } = readMounts(ctx);
  let hiddenPseudoCount = 0;
  const matched: Array<MountEntry & { alsoMountedAt: string[]; category: FsCategory }> = [];
  for (const e of dedupeMounts(entries)) {
    if (opts.mount !== undefined && e.mount !== opts.mount && !e.alsoMountedAt.includes(opts.mount)) continue;
    const category = classifyFilesystem(e.fsType, e.mount);
    const hidden = category === 'pseudo' || category === 'image';
    if (hidden && !opts.includePseudo && opts.mount === undefined) {
      hiddenPseudoCount++;
      continue;
    }
    matched.push({ ...e, category });
  }
  const selected = matched.slice(0, maxMounts);
  const filesystems: FilesystemInfo[] = selected.map((e) => {
    const pseudo = e.category === 'pseudo' || e.category === 'image';
    const skipStatfs = (e.category === 'network' && !opts.statfsNetwork) || e.category === 'pseudo';
    if (e.category === 'network' && !opts.statfsNetwork) warnings.push(`statfs ${e.mount}: skipped (network filesystem)`);
    const cap = skipStatfs
      ? { sizeBytes: null, usedBytes: null, availBytes: null, usedPct: null, inodesTotal: null, inodesUsed: null, inodesUsedPct: null }
      : capacity(ctx, e, warnings);
    return {
      mount: e.mount,
      device: e.device,
      fsType: e.fsType,
      category: e.category,
      pseudo,
      readOnly: e.readOnly,
      ...cap,
      alsoMountedAt: e.alsoMountedAt,
    };
  });
  const result: FilesystemsResult = { filesystems, totalMatched: matched.length, hiddenPseudoCount, warnings };
  if (matched.length > selected.length) result.truncated = { returned: selected.length, total: matched.length };
  return result;
}
