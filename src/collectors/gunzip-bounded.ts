/**
 * Gunzip off the event loop, bounded in CPU, in memory and server-wide.
 *
 * zlib's stream inflates on the libuv thread pool in 64 KiB steps, so the event loop only sees one short callback
 * per step (a 10 KB → 100 MB bomb held it ≈ 40 ms per file with gunzipSync, and 50 of them 2 s). What stays on the
 * main thread is the garbage: every step hands over a fresh 64 KiB Buffer (external memory), and V8 answers fast
 * external growth with forced collections ("external memory pressure" scavenges and "GC in old space requested"
 * mark-compacts in --trace-gc). Eight concurrent calls that each inflated 64 MiB and kept it (a 32 MiB array of
 * chunks, then a 32 MiB concat) produced ≈ 1 GiB of such buffers: forced GCs of 20–88 ms and /healthz p99
 * 112–227 ms on two cores. So:
 *  - only the TAIL is kept (a reader scans backwards and never further than its scan budget): chunks are held by
 *    reference while they are among the last `keepBytes`, older ones are dropped at once (young garbage, freed by
 *    a scavenge), and the first `headBytes` are copied aside for the content checks;
 *  - newlines of the dropped part are counted (up to `countBytes` of it) so line numbers survive the drop;
 *  - one inflate runs at a time in the whole server (a queue honouring aborts): concurrent calls do not multiply
 *    the garbage rate, and three of the four pool threads and a core stay free for the event loop (with four
 *    inflates on two cores the main thread got ≈ 40 % of a core, which stretched every GC pause 2.5×).
 * The output stops at `maxBytes` (the stream is destroyed, not drained); an abort stops it at the next step.
 */
import { createGunzip } from 'node:zlib';

interface GunzipTailOptions {
  /** Inflated bytes allowed; more → { ok: false, reason: 'tooBig' }. */
  maxBytes: number;
  /** Bytes kept from the end of the output (at least this many when the output is longer). */
  keepBytes: number;
  /** Bytes kept from the start of the output (copied aside). */
  headBytes: number;
  /** Newlines of dropped output are counted while the dropped part is at most this long (else not counted). */
  countBytes: number;
}

type GunzipTail =
  | {
      ok: true;
      /** Length of the whole output. */
      size: number;
      /** The first min(size, headBytes) bytes. */
      head: Buffer;
      /** The last bytes of the output, from offset size - tail.length. */
      tail: Buffer;
      /** Newlines in [0, size - tail.length); null when that part was longer than countBytes. */
      droppedNewlines: number | null;
    }
  | { ok: false; reason: 'tooBig' | 'corrupt'; inflatedBytes: number };

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

export function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

// ---- one inflate at a time, server-wide ---------------------------------------------

let running = false;
const waiting: Array<() => void> = [];

/** Resolves when this caller may inflate (release() after); rejects when the signal aborts while waiting. */
function acquire(signal?: AbortSignal): Promise<() => void> {
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running = false;
  };
  if (!running) {
    running = true;
    return Promise.resolve(release);
  }
  return new Promise((resolve, reject) => {
    const go = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve(release);
    };
    const onAbort = (): void => {
      const i = waiting.indexOf(go);
      if (i !== -1) waiting.splice(i, 1);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(go);
  });
}

/** Inflates `input` (one or more gzip members) keeping its head and tail; rejects only when the signal aborts. */
export async function gunzipTail(input: Buffer, opts: GunzipTailOptions, signal?: AbortSignal): Promise<GunzipTail> {
  if (signal?.aborted) throw abortError(signal);
  const release = await acquire(signal);
  try {
    return await inflate(input, opts, signal);
  } finally {
    release();
  }
}

function inflate(input: Buffer, opts: GunzipTailOptions, signal?: AbortSignal): Promise<GunzipTail> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const z = createGunzip({ chunkSize: 64 * 1024 });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const head = Buffer.allocUnsafe(opts.headBytes);
    let headLen = 0;
    let total = 0;
    let dropped = 0;
    let droppedNewlines: number | null = 0;
    let done = false;
    const finish = (r: GunzipTail | Error): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      z.removeAllListeners('data');
      z.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const onAbort = (): void => finish(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    z.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > opts.maxBytes) {
        finish({ ok: false, reason: 'tooBig', inflatedBytes: total });
        return;
      }
      if (headLen < head.length) headLen += chunk.copy(head, headLen, 0, head.length - headLen);
      kept.push(chunk);
      keptBytes += chunk.length;
      // Drop the oldest chunks while the rest still covers keepBytes.
      while (kept.length > 1 && keptBytes - kept[0]!.length >= opts.keepBytes) {
        const old = kept.shift()!;
        keptBytes -= old.length;
        dropped += old.length;
        if (droppedNewlines !== null) droppedNewlines = dropped > opts.countBytes ? null : droppedNewlines + countNewlines(old);
      }
    });
    z.on('end', () =>
      finish({ ok: true, size: total, head: head.subarray(0, headLen), tail: kept.length === 1 ? kept[0]! : Buffer.concat(kept, keptBytes), droppedNewlines }),
    );
    z.on('error', () => finish({ ok: false, reason: 'corrupt', inflatedBytes: total }));
    z.end(input);
  });
}
