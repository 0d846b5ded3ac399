/**
 * Gunzip off the event loop, bounded. zlib's stream inflates on the libuv thread pool in 64 KiB steps, so the event
 * loop only sees one short callback per step (a 10 KB → 100 MB bomb held it ≈ 40 ms per file with gunzipSync, and
 * 50 of them 2 s); the output stops at `maxBytes` (the stream is destroyed, not drained) and an abort stops it at
 * the next step.
 */
import { createGunzip } from 'node:zlib';

export type GunzipResult = { ok: true; data: Buffer } | { ok: false; reason: 'tooBig' | 'corrupt'; inflatedBytes: number };

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

/** Inflates `input` (one or more gzip members) up to maxBytes of output; rejects only when the signal aborts. */
export function gunzipBounded(input: Buffer, maxBytes: number, signal?: AbortSignal): Promise<GunzipResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const z = createGunzip({ chunkSize: 64 * 1024 });
    const parts: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (r: GunzipResult | Error): void => {
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
      if (total > maxBytes) finish({ ok: false, reason: 'tooBig', inflatedBytes: total });
      else parts.push(chunk);
    });
    z.on('end', () => finish({ ok: true, data: Buffer.concat(parts, total) }));
    z.on('error', () => finish({ ok: false, reason: 'corrupt', inflatedBytes: total }));
    z.end(input);
  });
}
