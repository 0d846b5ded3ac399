/**
 * Reads one allow-listed file for get_config through the descriptor file-policy.ts opened and checked (pread, never
 * a second open): the first maxBytes bytes, and the sha256 of the WHOLE raw file (in chunks, up to maxHashBytes;
 * the caller decides whether it may be shown). Binary files (a NUL in the first 8 KiB) are flagged, not decoded.
 * Synchronous, never throws; does not close the descriptor.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { OpenedFile } from './file-policy.js';

const CHUNK = 64 * 1024;
const BINARY_PROBE_BYTES = 8192;

interface RawConfigFile {
  /** Null when binary or unreadable. */
  text: string | null;
  binary: boolean;
  /** The file held more than maxBytes; text is its first maxBytes bytes (cut at the last full line). */
  truncated: boolean;
  /** Null when the file is larger than maxHashBytes or a read failed. */
  sha256: string | null;
  error: string | null;
}

export function readConfigFile(file: OpenedFile, maxBytes: number, maxHashBytes: number): RawConfigFile {
  const fd = file.fd;
  try {
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    let total = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, total);
      if (n === 0) break;
      total += n;
      if (total <= maxHashBytes) hash.update(buf.subarray(0, n));
      if (headBytes <= maxBytes) {
        head.push(Buffer.from(buf.subarray(0, n)));
        headBytes += n;
      }
      if (total > maxHashBytes && headBytes > maxBytes) break;
    }
    const sha256 = total <= maxHashBytes ? hash.digest('hex') : null;
    const all = Buffer.concat(head);
    if (all.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { text: null, binary: true, truncated: false, sha256, error: null };
    const truncated = all.length > maxBytes;
    let body = truncated ? all.subarray(0, maxBytes) : all;
    if (truncated) {
      const nl = body.lastIndexOf(0x0a);
      if (nl > 0) body = body.subarray(0, nl + 1);
    }
    return { text: body.toString('utf8'), binary: false, truncated, sha256, error: null };
  } catch (e) {
    return { text: null, binary: false, truncated: false, sha256: null, error: (e as { code?: string }).code ?? 'EIO' };
  }
}
