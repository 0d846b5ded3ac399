/** Per-cgroup I/O byte counters: v2 io.stat and v1 blkio io_service_bytes files. */

/** Sums per-device byte counters: v2 io.stat ("8:0 rbytes=… wbytes=…") or v1 blkio ("8:0 Read N" / "8:0 Write N"). */
export function parseIoBytes(text: string, version: 1 | 2): { readBytes: number | null; writeBytes: number | null; badLines: number } {
  let read = 0;
  let write = 0;
  let seen = 0;
  let badLines = 0;
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '') continue;
    if (version === 2) {
      const r = /(?:^|\s)rbytes=(\d+)/.exec(l);
      const w = /(?:^|\s)wbytes=(\d+)/.exec(l);
      if (!/^\d+:\d+\s/.test(l) || !r || !w) {
        badLines++;
        continue;
      }
      read += Number(r[1]);
      write += Number(w[1]);
      seen++;
      continue;
    }
    const m = /^(\d+:\d+)\s+(\w+)\s+(\d+)$/.exec(l);
    if (!m) {
      if (!/^Total\s+\d+$/.test(l)) badLines++;
      continue;
    }
    if (m[2] === 'Read') read += Number(m[3]);
    else if (m[2] === 'Write') write += Number(m[3]);
    seen++;
  }
  return seen === 0 ? { readBytes: badLines > 0 ? null : 0, writeBytes: badLines > 0 ? null : 0, badLines } : { readBytes: read, writeBytes: write, badLines };
}
