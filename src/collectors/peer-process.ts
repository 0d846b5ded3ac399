/**
 * Which process holds a socket, given its inode (the client end of a local TCP
 * connection, as peer-uid.ts finds it in /proc/net/tcp): the process whose
 * /proc/<pid>/fd holds a link to `socket:[inode]`, with its start time (field
 * 22 of /proc/<pid>/stat) so that a reused pid is a different process.
 *
 * Only processes of the socket's uid are read (stat(2) of /proc/<pid> gives
 * the owner without reading a file; others are skipped), and the fd links are
 * read by the inode → pid scanner of sockets.ts, bounded in fds per pass.
 *
 * Cost, measured on a loaded 2-core VM (peer-process.test.ts prints it): one
 * fd link costs 5–35 µs of readlink there (1–2 µs on an idle machine), so a
 * whole pass over 100 processes and 1,500 fds took ≈ 40 ms, and a host with
 * 50,000 fds of one uid would take seconds. Held at once, that would stall
 * every request, so a pass runs in slices of ≈ `sliceMs` (4 ms) of
 * synchronous reads, yielding to the event loop between them (setImmediate);
 * the clock is checked after every process and every 64 links, and a table
 * is listed in one readdir only up to 4,096 fds (sockets.ts openFdTable).
 * Measured: longest slice 4–12 ms (the excess is the VM taking the CPU away).
 *
 * Shared: at most one pass runs at a time; lookups arriving meanwhile wait for
 * the next one. A pass stops as soon as every inode it was started for is
 * found, and starts with the processes that held the last inodes found (a
 * client opening 400 connections is found in its own fd table first), so a
 * burst of connections from one process costs one pass, not one each (400
 * concurrent lookups: one pass, ≈ 30 ms in all). Processes are read newest
 * first, and the table of a process found is read to its end. The inode → pid map of the
 * last pass answers later lookups directly for `reuseMs`: socket inodes are
 * never reused while the socket is open, so a hit is always right.
 *
 * Null (unknown) when no readable fd table of that uid holds the inode within
 * `passes` passes: the client has closed, the budget ran out, or the peer's
 * fd tables cannot be read (hostlens not root and the peer another uid).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createCollectorContext } from './context.js';
import { parseProcStat } from './processes.js';
import { addSocketOwners, newInodeScan, openFdTable, socketInodeOf } from './sockets.js';
import { yieldTurn as yieldToLoop } from '../util/slices.js';

interface PeerProcess {
  pid: number;
  /** Start time in clock ticks after boot (/proc/<pid>/stat field 22). */
  startTime: number;
}

export interface PeerProcessPass {
  /** Entries of /proc looked at (pids). */
  pids: number;
  /** Processes of a wanted uid whose fd tables were read. */
  fdTables: number;
  fds: number;
  /** Wall time of the pass, yields included. */
  ms: number;
  slices: number;
  longestSliceMs: number;
  /** The fd budget ran out before every wanted inode was found. */
  capped: boolean;
  found: number;
  wanted: number;
}

interface PeerProcessLookupOptions {
  /** The directory holding `proc` (default '/'). */
  root?: string;
  /** Synchronous work per slice before yielding to the event loop (default 4 ms). */
  sliceMs?: number;
  /** fd links read per pass at most (default 50,000). */
  maxFdsPerPass?: number;
  /** How long the inode → pid map of the last pass answers lookups (default 2 s). */
  reuseMs?: number;
  /** Passes before an inode counts as not found (default 2: a pass may have read the fd table before the socket was in it). */
  passes?: number;
  /** Called after each pass (tests, diagnostics). */
  onPass?: (pass: PeerProcessPass) => void;
}

/**
 * The process holding socket `inode`, among processes of `uid`; null when none is found. `wanted` (the
 * connection is still open) is asked before each pass: a client that hung up costs no more reading.
 */
export type PeerProcessLookup = (inode: number, uid: number, wanted?: () => boolean) => Promise<PeerProcess | null>;

interface Pending {
  inode: number;
  uid: number;
  wanted: () => boolean;
  passesLeft: number;
  resolve(found: PeerProcess | null): void;
}

/** Most-recent-first pids whose fd tables held the last inodes found. */
const HOT_PIDS = 8;

/** fd links read between two looks at the clock: ≈ 5–15 µs each here, so ≤ 1 ms. */
const FDS_PER_READ = 64;



export function createPeerProcessLookup(options: PeerProcessLookupOptions = {}): PeerProcessLookup {
  const ctx = createCollectorContext({ root: options.root });
  const procDir = join(ctx.root, 'proc');
  const sliceMs = options.sliceMs ?? 4;
  const maxFds = options.maxFdsPerPass ?? 50_000;
  const reuseMs = options.reuseMs ?? 2_000;
  const passes = Math.max(1, options.passes ?? 2);
  let queue: Pending[] = [];
  let running = false;
  /** inode → pid of every socket the last pass saw, and the start times of the pids found. */
  let known = new Map<number, number>();
  let knownUids = new Map<number, number>();
  let starts = new Map<number, number>();
  let knownAt = 0;
  let hot: number[] = [];

  const startTimeOf = (pid: number): number | null => {
    try {
      return parseProcStat(readFileSync(join(procDir, String(pid), 'stat'), 'latin1'), ctx.pageSize)?.startTimeTicks ?? null;
    } catch {
      return null;
    }
  };
  const uidOf = (pid: number): number | null => statSync(join(procDir, String(pid)), { throwIfNoEntry: false })?.uid ?? null;

  /**
   * The pids to read: hot ones first, then newest first. Clients (agents, CLIs, scripts) are usually younger
   * than the daemons holding most of a host's fds, so a pass that stops at the client reads fewer tables.
   */
  function* pidOrder(): Generator<number> {
    const seen = new Set<number>(hot);
    yield* hot;
    let names: string[];
    try {
      names = readdirSync(procDir); // ≈ 1 µs a name: 1 ms at 1,000 processes
    } catch {
      return; // no /proc
    }
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((x, y) => y - x);
    for (const pid of pids) if (!seen.has(pid)) yield pid;
  }

  const pass = async (batch: Pending[]): Promise<void> => {
    const started = performance.now();
    const stats: PeerProcessPass = { pids: 0, fdTables: 0, fds: 0, ms: 0, slices: 1, longestSliceMs: 0, capped: false, found: 0, wanted: batch.length };
    const wanted = new Map<number, Pending[]>();
    for (const p of batch) wanted.set(p.inode, [...(wanted.get(p.inode) ?? []), p]);
    const uids = new Set(batch.map((p) => p.uid));
    const state = newInodeScan();
    const owners = new Map<number, number>(); // pid → uid, of the fd tables read
    const found = new Map<number, number>(); // pid → start time
    const hits: number[] = [];
    let slice = performance.now();
    /** Yields to the event loop once this slice has run `sliceMs`. */
    const breathe = async (): Promise<void> => {
      const now = performance.now();
      if (now - slice < sliceMs) return;
      stats.longestSliceMs = Math.max(stats.longestSliceMs, now - slice);
      await yieldToLoop();
      stats.slices += 1;
      slice = performance.now();
    };
    for (const pid of pidOrder()) {
      if (wanted.size === 0 || stats.capped) break;
      stats.pids += 1;
      await breathe();
      const uid = uidOf(pid);
      if (uid === null || !uids.has(uid)) continue;
      const table = openFdTable(ctx, pid);
      if ('error' in table) continue; // gone, or not ours to read
      owners.set(pid, uid);
      state.pidsScanned += 1;
      try {
        // The table of a process found is read to its end: its other sockets are usually the next lookups.
        while (!table.done && (wanted.size > 0 || found.has(pid))) {
          const budget = Math.min(FDS_PER_READ, maxFds - state.fdsScanned);
          if (budget <= 0) {
            stats.capped = true;
            break;
          }
          const targets = table.read(budget);
          state.fdsScanned += targets.length;
          addSocketOwners(state, pid, targets);
          for (const target of targets) {
            const inode = socketInodeOf(target);
            const waiting = inode === null ? undefined : wanted.get(inode);
            if (inode === null || !waiting || state.owners.get(inode) !== pid) continue;
            const start = found.get(pid) ?? startTimeOf(pid);
            if (start === null) continue; // exited meanwhile: the socket has no live holder here
            found.set(pid, start);
            for (const p of waiting) p.resolve({ pid, startTime: start });
            wanted.delete(inode);
            if (!hits.includes(pid)) hits.push(pid);
          }
          await breathe();
        }
      } finally {
        table.close();
      }
    }
    stats.fdTables = state.pidsScanned;
    stats.longestSliceMs = Math.max(stats.longestSliceMs, performance.now() - slice);
    // Every socket inode seen, not only the wanted ones: the next lookups of a burst are usually among them.
    known = state.owners;
    knownUids = owners;
    starts = found;
    knownAt = performance.now();
    hot = [...hits, ...hot.filter((pid) => !hits.includes(pid))].slice(0, HOT_PIDS);
    stats.fds = state.fdsScanned;
    stats.found = batch.length - [...wanted.values()].reduce((n, ps) => n + ps.length, 0);
    stats.ms = performance.now() - started;
    options.onPass?.(stats);
    for (const ps of wanted.values()) {
      for (const p of ps) {
        p.passesLeft -= 1;
        if (p.passesLeft > 0 && !stats.capped) queue.push(p);
        else p.resolve(null);
      }
    }
  };

  const drain = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch: Pending[] = [];
        for (const p of queue) {
          if (answerFromKnown(p)) continue;
          if (p.wanted()) batch.push(p);
          else p.resolve(null); // the client hung up
        }
        queue = [];
        if (batch.length > 0) await pass(batch).catch(() => batch.forEach((p) => p.resolve(null)));
      }
    } finally {
      running = false;
    }
  };

  const answerFromKnown = (p: Pending): boolean => {
    const pid = performance.now() - knownAt <= reuseMs ? known.get(p.inode) : undefined;
    if (pid === undefined || knownUids.get(pid) !== p.uid) return false;
    let start = starts.get(pid) ?? null;
    if (start === null) {
      start = startTimeOf(pid);
      if (start === null) return false;
      starts.set(pid, start);
    }
    p.resolve({ pid, startTime: start });
    return true;
  };

  return (inode, uid, wanted = () => true) =>
    new Promise<PeerProcess | null>((resolve) => {
      if (!Number.isSafeInteger(inode) || inode <= 0) return resolve(null);
      let settled = false;
      const p: Pending = {
        inode,
        uid,
        wanted,
        passesLeft: passes,
        resolve: (found) => {
          if (settled) return;
          settled = true;
          resolve(found);
        },
      };
      if (answerFromKnown(p)) return;
      queue.push(p);
      if (!running) void drain();
    });
}
