/**
 * Socket tables: proc/net/{tcp,tcp6,udp,udp6} (or proc/<pid>/net/… for another network namespace) parsed into
 * rows with decoded addresses, and the socket-inode → pid map built from proc/<pid>/fd symlinks
 * (`socket:[inode]`). Unix sockets are not read (they have no ports; the fd classification counts them as sockets).
 *
 * Address encoding: the kernel prints each 32-bit word of the address as %08X of the in-memory value, so on a
 * little-endian host every word's bytes are reversed (127.0.0.1 → 0100007F); IPv6 is 4 such words. Ports are
 * printed in natural order (%04X). Bounded: at most maxLines rows over all files, pids/fds capped in the scan.
 * Never throws: malformed lines are skipped and counted.
 */
import { opendirSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { TCP_STATES } from './network.js';
import { pathExists, readTextDetailed } from './read.js';

const SOCKET_PROTOS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export type SocketProto = (typeof SOCKET_PROTOS)[number];

/** TCP states plus UNCONN (an unconnected UDP socket: a UDP "listener", like ss prints it). */
export const SOCKET_STATES = [...TCP_STATES, 'UNCONN'] as const;
export type SocketState = (typeof SOCKET_STATES)[number];

export interface SocketRow {
  proto: SocketProto;
  state: SocketState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Owner uid of the socket (0 for TIME_WAIT). */
  uid: number;
  /** Socket inode; 0 when no file refers to it any more (TIME_WAIT, orphans). */
  inode: number;
  rxQueueBytes: number;
  txQueueBytes: number;
}

interface SocketTableReading {
  sockets: SocketRow[];
  /** True when the line cap was reached (the rest was not read). */
  truncated: boolean;
  /** Files that could be read. */
  readable: SocketProto[];
  warnings: string[];
}

/** Default cap on socket lines read over all tables. */
const DEFAULT_MAX_SOCKET_LINES = 100_000;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Bytes of one kernel-printed address: 8 hex chars per 32-bit word, each word in host byte order. */
function addressBytes(hex: string, littleEndian: boolean): number[] | null {
  if (!/^(?:[0-9A-Fa-f]{8}){1,4}$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return null;
  const out: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    out.push(...(littleEndian ? word.reverse() : word));
  }
  return out;
}

/** RFC 5952 text of 16 address bytes (longest zero run compressed, IPv4-mapped as ::ffff:a.b.c.d). */
export function formatIpv6(b: readonly number[]): string {
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${b.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Decodes "0100007F" → "127.0.0.1" or a 32-hex-char IPv6 address; null when malformed. */
export function decodeHexAddress(hex: string, littleEndian = LITTLE_ENDIAN): string | null {
  const b = addressBytes(hex, littleEndian);
  if (b === null) return null;
  return b.length === 4 ? b.join('.') : formatIpv6(b);
}

function stateOf(proto: SocketProto, code: number): SocketState | null {
  if (proto === 'udp' || proto === 'udp6') {
    // UDP reuses TCP's codes: 1 = connected, 7 = unconnected.
    if (code === 1) return 'ESTABLISHED';
    if (code === 7) return 'UNCONN';
    return null;
  }
  return code >= 1 && code <= TCP_STATES.length ? TCP_STATES[code - 1]! : null;
}

const LINE = /^\s*\d+:\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{2})\s+([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8})\s+\S+\s+\S+\s+(\d+)\s+\d+\s+(\d+)(?:\s|$)/;

/** One table line → row; null when malformed (or an address of the wrong family for the file). */
export function parseSocketLine(line: string, proto: SocketProto, littleEndian = LITTLE_ENDIAN, cache?: Map<string, string | null>): SocketRow | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const v6 = proto.endsWith('6');
  const la = m[1]!;
  const ra = m[3]!;
  if (la.length !== (v6 ? 32 : 8) || ra.length !== la.length) return null;
  const decode = (hex: string): string | null => {
    if (!cache) return decodeHexAddress(hex, littleEndian);
    let v = cache.get(hex);
    if (v === undefined) cache.set(hex, (v = decodeHexAddress(hex, littleEndian)));
    return v;
  };
  const localAddress = decode(la);
  const remoteAddress = decode(ra);
  const state = stateOf(proto, parseInt(m[5]!, 16));
  const uid = Number(m[8]);
  const inode = Number(m[9]);
  if (localAddress === null || remoteAddress === null || state === null || !Number.isSafeInteger(uid) || !Number.isSafeInteger(inode)) return null;
  return {
    proto,
    state,
    localAddress,
    localPort: parseInt(m[2]!, 16),
    remoteAddress,
    remotePort: parseInt(m[4]!, 16),
    uid,
    inode,
    txQueueBytes: parseInt(m[6]!, 16),
    rxQueueBytes: parseInt(m[7]!, 16),
  };
}

/** Parses the body of one table (header skipped), at most `budget` rows. */
export function parseSocketTable(text: string, proto: SocketProto, budget: number, littleEndian = LITTLE_ENDIAN): { rows: SocketRow[]; badLines: number; truncated: boolean } {
  const rows: SocketRow[] = [];
  let badLines = 0;
  const body = text.split('\n').slice(1); // the header line
  // A storm has few distinct addresses: decode each once (bounded, so a table of distinct ones cannot grow it).
  const cache = new Map<string, string | null>();
  for (const line of body) {
    if (line.trim() === '') continue;
    if (rows.length >= budget) return { rows, badLines, truncated: true };
    if (cache.size > 4096) cache.clear();
    const row = parseSocketLine(line, proto, littleEndian, cache);
    if (row === null) badLines++;
    else rows.push(row);
  }
  return { rows, badLines, truncated: false };
}

interface ReadSocketsOptions {
  protos?: readonly SocketProto[];
  maxLines?: number;
  /** Read another network namespace's tables: proc/<pid>/net instead of proc/net. */
  pid?: number;
}

/** The socket tables, bounded by maxLines rows in all (default 100,000). */
export function readSocketTables(ctx: CollectorContext, opts: ReadSocketsOptions = {}): SocketTableReading {
  const maxLines = Math.max(0, Math.floor(opts.maxLines ?? DEFAULT_MAX_SOCKET_LINES));
  const dirRel = opts.pid === undefined ? 'proc/net' : `proc/${opts.pid}/net`;
  const out: SocketTableReading = { sockets: [], truncated: false, readable: [], warnings: [] };
  for (const proto of opts.protos ?? SOCKET_PROTOS) {
    // Lines are 150 (v4) or 178 (v6) bytes: the byte cap sits just above the remaining line budget.
    const r = readTextDetailed(join(ctx.root, dirRel, proto), (Math.max(0, maxLines - out.sockets.length) + 2) * 200);
    if (r.text === null) {
      if (r.error !== 'ENOENT') out.warnings.push(`${dirRel}/${proto}: ${r.error ?? 'unreadable'}`);
      continue;
    }
    out.readable.push(proto);
    if (out.truncated) continue;
    const text = r.truncated ? r.text.slice(0, r.text.lastIndexOf('\n') + 1) : r.text;
    const p = parseSocketTable(text, proto, maxLines - out.sockets.length);
    for (const row of p.rows) out.sockets.push(row);
    if (p.badLines > 0) out.warnings.push(`${dirRel}/${proto}: ${p.badLines} malformed line(s) skipped`);
    if (p.truncated || r.truncated) out.truncated = true;
  }
  if (out.truncated) out.warnings.push(`socket tables read up to the cap of ${maxLines} lines: the rest was not read (counts are lower bounds)`);
  return out;
}

/** The inode of an fd link target "socket:[12345]"; null for anything else. */
export function socketInodeOf(target: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(target);
  return m ? Number(m[1]) : null;
}

/** One process's fd table, read a few entries at a time (so a caller can yield between slices). */
interface FdTable {
  /** Link targets of up to `max` more entries (an fd closed since it was listed is skipped, still counted). */
  read(max: number): string[];
  /** Entries consumed so far (read or skipped). */
  readonly entries: number;
  /** Whether the table has no more entries. */
  readonly done: boolean;
  /** Counts the remaining entries without reading their links; the table is then done. */
  skipRest(): void;
  close(): void;
}

/** Above this many open fds a table is listed incrementally (one readdir of 10,000 names holds the caller ≈ 10 ms). */
const LIST_AT_ONCE = 4096;

/**
 * Opens proc/<pid>/fd; the error code (ENOENT, EACCES, …) when it cannot be listed. A usual table is listed in
 * one readdir (≈ 1 µs a name; opendir plus reads cost 2–5× more per table here); one the kernel says is larger
 * (the directory's size is its count of open fds since Linux 6.2, 0 before) a few hundred names at a time.
 */
export function openFdTable(ctx: CollectorContext, pid: number): FdTable | { error: string } {
  const dir = join(ctx.root, 'proc', String(pid), 'fd');
  let next: () => string | null;
  let closeDir = (): void => undefined;
  try {
    if (statSync(dir).size > LIST_AT_ONCE) {
      const handle = opendirSync(dir, { bufferSize: 256 });
      next = () => {
        try {
          return handle.readSync()?.name ?? null;
        } catch {
          return null; // the process exited while being listed
        }
      };
      closeDir = () => handle.closeSync();
    } else {
      const names = readdirSync(dir);
      let i = 0;
      next = () => names[i++] ?? null;
    }
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { error: typeof code === 'string' ? code : 'EIO' };
  }
  let entries = 0;
  let done = false;
  const nextName = (): string | null => {
    const name = done ? null : next();
    if (name === null) done = true;
    else entries += 1;
    return name;
  };
  return {
    read(max) {
      const targets: string[] = [];
      for (let i = 0; i < max; i++) {
        const name = nextName();
        if (name === null) break;
        try {
          targets.push(readlinkSync(`${dir}/${name}`));
        } catch {
          /* closed since it was listed */
        }
      }
      return targets;
    },
    get entries() {
      return entries;
    },
    get done() {
      return done;
    },
    skipRest() {
      while (nextName() !== null);
    },
    close() {
      try {
        closeDir();
      } catch {
        /* already closed */
      }
    },
  };
}

/** fd symlink targets of one process (at most maxFds); null when proc/<pid>/fd is unreadable. */
export function readFdTargets(ctx: CollectorContext, pid: number, maxFds: number): { targets: string[]; total: number; error: string | null } {
  const table = openFdTable(ctx, pid);
  if ('error' in table) return { targets: [], total: 0, error: table.error };
  try {
    const targets = table.read(Math.max(0, maxFds));
    table.skipRest();
    return { targets, total: table.entries, error: null };
  } finally {
    table.close();
  }
}

export interface InodeScanState {
  owners: Map<number, number>;
  pidsScanned: number;
  /** Processes whose fd directory could not be read (EACCES without privileges). */
  pidsUnreadable: number;
  fdsScanned: number;
  /** True when a pid's fds or the total fd budget ran out. */
  capped: boolean;
}

export function newInodeScan(): InodeScanState {
  return { owners: new Map(), pidsScanned: 0, pidsUnreadable: 0, fdsScanned: 0, capped: false };
}

/**
 * Adds the socket inodes held by one batch of pids to `state.owners` (inode → lowest pid holding it).
 * At most maxFdsPerPid links are read per process and maxFdsTotal over the whole scan.
 */
export function scanSocketOwners(ctx: CollectorContext, pids: readonly number[], state: InodeScanState, caps: { maxFdsPerPid: number; maxFdsTotal: number }): void {
  for (const pid of pids) {
    const budget = Math.min(caps.maxFdsPerPid, caps.maxFdsTotal - state.fdsScanned);
    if (budget <= 0) {
      state.capped = true;
      return;
    }
    const r = readFdTargets(ctx, pid, budget);
    if (r.error !== null) {
      // ENOENT while the process still exists = no fd directory we may see (recorded trees model EACCES so).
      const gone = r.error === 'ESRCH' || (r.error === 'ENOENT' && !pathExists(join(ctx.root, 'proc', String(pid), 'stat')));
      if (!gone) state.pidsUnreadable++;
      continue;
    }
    state.pidsScanned++;
    state.fdsScanned += r.targets.length;
    if (r.total > budget) state.capped = true;
    addSocketOwners(state, pid, r.targets);
  }
}

/** Records the socket inodes among `targets` (fd links of `pid`) that no earlier pid holds. */
export function addSocketOwners(state: InodeScanState, pid: number, targets: readonly string[]): void {
  for (const t of targets) {
    const inode = socketInodeOf(t);
    if (inode !== null && !state.owners.has(inode)) state.owners.set(inode, pid);
  }
}
