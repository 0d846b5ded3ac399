/**
 * Gzip bombs for read_log_file's rotations (the hostile suite and the bench's abuse phase): one ≈ 100 KB gzip
 * member of `inflatedBytes` of 'a', written as `<base>.1.gz` … `<base>.<count>.gz`. The trailer's size field
 * claims 256 bytes, so the reader cannot skip them unread and must stop each inflate at its budget (an honest
 * trailer of a too-big rotation is skipped before inflating).
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export function gzipBomb(inflatedBytes = 100 * 1024 * 1024): Buffer {
  const bomb = gzipSync(Buffer.alloc(inflatedBytes, 0x61), { level: 9 });
  bomb.writeUInt32LE(256, bomb.length - 4);
  return bomb;
}

/** Writes `count` copies of one bomb as the rotations of the log file `base` (a full path). */
export function writeGzipBombs(base: string, count: number, inflatedBytes?: number): void {
  const bomb = gzipBomb(inflatedBytes);
  for (let i = 1; i <= count; i++) writeFileSync(`${base}.${i}.gz`, bomb);
}
