/**
 * The audit log: one JSON line per /mcp request (see audit-entry.ts for what a
 * line holds), appended to a file that is rotated by size.
 *
 * - Files are created 0600 (an existing audit file is narrowed to 0600), a
 *   directory the log creates is 0700.
 * - Writes never block a request: `write()` queues the line and returns; one
 *   writer drains the queue in batches through an open file handle. Rotation
 *   happens between batches inside that writer (`audit.jsonl` → `.1` → … →
 *   `.keep`, the oldest dropped), so no line is lost or split by a rotation.
 * - A write error is logged once (and once more when writing works again) and
 *   never fails a request; the lines of a failed batch are counted as dropped.
 *   The queue is bounded (MAX_QUEUED_LINES): beyond it lines are dropped and
 *   counted, so a stuck disk cannot grow the heap.
 * - Refusals are throttled (audit-throttle.ts): unauthenticated ones, and each
 *   principal's own HTTP-level refusals (429, 403, 404, 400), at most 20 lines
 *   a minute per principal, then one summary line per minute, so a flood of
 *   them cannot rotate the served requests' lines away.
 * - `tail()` reads the newest entries back, newest first, with a bounded
 *   backwards scan over the current and rotated files (never the whole set
 *   into memory); it runs inside the writer's queue, so a rotation cannot move
 *   a file under it.
 */
import { mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import type { AuditEntry, AuditFilter, AuditReader, AuditStats, AuditTail } from '../contracts/audit.js';
import { matchesFilter, mayMatch } from './audit-entry.js';
import { createRefusalThrottle } from './audit-throttle.js';
import type { ThrottleOptions } from './audit-throttle.js';


export const DEFAULT_AUDIT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_AUDIT_KEEP = 5;
/** Lines waiting for the disk at most; more are dropped (and counted). */
const MAX_QUEUED_LINES = 20_000;
/** Bytes a tail() reads backwards at most, over all files. */
const TAIL_SCAN_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

interface AuditLogOptions {
  path: string;
  maxBytes?: number;
  keep?: number;
  logger?: Logger;
  /** How many refusal lines per principal per window (audit-throttle.ts; defaults 20 per 60 s). */
  unauthenticated?: ThrottleOptions;
}

export interface AuditLog extends AuditReader {
  /** Queues one entry; never throws, never waits. */
  write(entry: AuditEntry): void;
  /** Resolves once every line queued so far is on disk (or dropped). */
  flush(): Promise<void>;
  /** Flushes and closes the file. Later writes are dropped. */
  close(): Promise<void>;
}

/** `$XDG_STATE_HOME/hostlens/audit.jsonl` (XDG_STATE_HOME defaults to ~/.local/state). */
export function defaultAuditPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'hostlens', 'audit.jsonl');
}

export function rotatedPath(path: string, n: number): string {
  return n === 0 ? path : `${path}.${n}`;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const path = options.path;
  const maxBytes = Math.max(1024, options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES);
  const keep = Math.max(1, options.keep ?? DEFAULT_AUDIT_KEEP);
  const logger = options.logger ?? silentLogger;
  const stats: AuditStats = { written: 0, dropped: 0, writeErrors: 0, rotations: 0 };
  let queue: string[] = [];
  let handle: FileHandle | null = null;
  let size = 0;
  let failing = false;
  let closed = false;
  /** The writer's chain: every drain and tail runs after the previous one. */
  let chain: Promise<void> = Promise.resolve();
  let draining = false;

  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch {
    // Reported by the first write.
  }

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  const openFile = async (): Promise<void> => {
    if (handle) return;
    const h = await open(path, 'a', 0o600);
    try {
      await h.chmod(0o600);
      size = (await h.stat()).size;
    } catch (error) {
      await h.close().catch(() => undefined);
      throw error;
    }
    handle = h;
  };

  const rotate = async (): Promise<void> => {
    await handle?.close().catch(() => undefined);
    handle = null;
    await rm(rotatedPath(path, keep), { force: true });
    for (let n = keep - 1; n >= 0; n--) {
      await rename(rotatedPath(path, n), rotatedPath(path, n + 1)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    stats.rotations += 1;
    await openFile();
  };

  /** Writes `lines` in pieces that each fit the current file, rotating in between. */
  const writeLines = async (lines: string[]): Promise<void> => {
    let i = 0;
    while (i < lines.length) {
      await openFile();
      let piece = '';
      let pieceBytes = 0;
      while (i < lines.length) {
        const bytes = Buffer.byteLength(lines[i]!);
        if (size + pieceBytes + bytes > maxBytes && (size + pieceBytes > 0)) break;
        piece += lines[i];
        pieceBytes += bytes;
        i += 1;
      }
      if (pieceBytes > 0) {
        await handle!.write(piece);
        size += pieceBytes;
        stats.written += countLines(piece);
      }
      if (i < lines.length) await rotate();
    }
  };

  const drain = (): Promise<void> =>
    exclusive(async () => {
      draining = false;
      while (queue.length > 0) {
        const lines = queue;
        queue = [];
        try {
          await writeLines(lines);
          if (failing) {
            failing = false;
            logger.info('audit log writing again', { path });
          }
        } catch (error) {
          stats.writeErrors += 1;
          stats.dropped += lines.length;
          await handle?.close().catch(() => undefined);
          handle = null;
          if (!failing) {
            failing = true;
            logger.warn('audit log write failed; requests are served, their audit lines dropped until it works again', {
              path,
              error: (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error)),
            });
          }
          // What queued meanwhile is tried by the next write's drain.
          return;
        }
      }
    });

  const schedule = (): void => {
    if (draining) return;
    draining = true;
    void drain();
  };

  const enqueue = (entry: AuditEntry): void => {
    if (closed || queue.length >= MAX_QUEUED_LINES) {
      stats.dropped += 1;
      return;
    }
    queue.push(`${JSON.stringify(entry)}\n`);
    schedule();
  };
  const throttle = createRefusalThrottle(enqueue, options.unauthenticated);

  const tailRead = async (filter: AuditFilter, limit: number, budgetBytes: number): Promise<AuditTail> => {
    const entries: AuditEntry[] = [];
    let used = 2;
    let scanned = 0;
    let filesRead = 0;
    // Lines not yet on disk are the newest.
    const pendingNewestFirst = [...queue].reverse();
    const take = (line: string): 'more' | 'limit' | 'budget' => {
      if (!mayMatch(line, filter)) return 'more';
      let entry: AuditEntry;
      try {
        entry = JSON.parse(line) as AuditEntry;
      } catch {
        return 'more';
      }
      if (!matchesFilter(entry, filter)) return 'more';
      const bytes = Buffer.byteLength(line) + 1;
      if (used + bytes > budgetBytes) return 'budget';
      used += bytes;
      entries.push(entry);
      return entries.length >= limit ? 'limit' : 'more';
    };
    for (const line of pendingNewestFirst) {
      const r = take(line.trimEnd());
      if (r !== 'more') return { entries, cutBy: r, scannedBytes: scanned, filesRead };
    }
    for (let n = 0; n <= keep; n++) {
      let h: FileHandle;
      try {
        h = await open(rotatedPath(path, n), 'r');
      } catch {
        continue;
      }
      filesRead += 1;
      try {
        let pos = (await h.stat()).size;
        let carry: Buffer = Buffer.alloc(0);
        while (pos > 0) {
          if (scanned >= TAIL_SCAN_BYTES) return { entries, cutBy: 'scan', scannedBytes: scanned, filesRead };
          const len = Math.min(CHUNK_BYTES, pos);
          pos -= len;
          const buf = Buffer.alloc(len);
          await h.read(buf, 0, len, pos);
          scanned += len;
          const joined = Buffer.concat([buf, carry]);
          const lines = splitLines(joined);
          // The first piece may be a partial line (its start is in the previous chunk), unless we are at the file start.
          carry = pos > 0 ? (lines.shift() ?? Buffer.alloc(0)) : Buffer.alloc(0);
          for (let i = lines.length - 1; i >= 0; i--) {
            const text = lines[i]!.toString('utf8');
            if (text === '') continue;
            const r = take(text);
            if (r !== 'more') return { entries, cutBy: r, scannedBytes: scanned, filesRead };
          }
          if (carry.length > 4 * CHUNK_BYTES) carry = Buffer.alloc(0);
        }
      } finally {
        await h.close().catch(() => undefined);
      }
    }
    return { entries, cutBy: null, scannedBytes: scanned, filesRead };
  };

  return {
    path,
    maxBytes,
    keep,
    write(entry) {
      if (!closed && !throttle.admit(entry)) return;
      enqueue(entry);
    },
    flush: () => exclusive(async () => undefined).then(() => (queue.length > 0 ? drain() : undefined)),
    async close() {
      // The current windows' summaries of suppressed refusals, before the last drain.
      for (const summary of throttle.flush()) enqueue(summary);
      throttle.stop();
      closed = true;
      if (queue.length > 0) await drain();
      await exclusive(async () => {
        await handle?.close().catch(() => undefined);
        handle = null;
      });
    },
    tail: (filter, limit, budgetBytes) => exclusive(() => tailRead(filter, Math.max(1, limit), budgetBytes)),
    stats: () => ({ ...stats }),
  };
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

/** Splits on '\n'; the last piece (after the final newline) is kept even when empty. */
function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
    out.push(buf.subarray(start, i));
    start = i + 1;
  }
  out.push(buf.subarray(start));
  return out;
}
