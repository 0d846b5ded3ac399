/**
 * The cut of an over-long log line. A line keeps at most its first MAX_LINE_BYTES bytes, cut back to a character
 * and token boundary, so the redactor never sees half a secret (a 40-char token straddling the cut is dropped
 * whole, not kept in part) or half a UTF-8 character; the rest is counted as hidden. The reader hands over
 * KEEP_LINE_BYTES (LINE_SLACK bytes past the cut) so the token boundary can be found.
 */
import { clipBeforeRedaction } from './read.js';

export const MAX_LINE_BYTES = 16 * 1024;
const LINE_SLACK = 256;
export const KEEP_LINE_BYTES = MAX_LINE_BYTES + LINE_SLACK;

/** A line as read (at most KEEP_LINE_BYTES) decoded and, when longer than MAX_LINE_BYTES, cut: [text, hidden bytes]. */
export function decodeLine(buf: Buffer, hidden: number): [string, number] {
  if (buf.length <= MAX_LINE_BYTES) return [buf.toString('utf8'), hidden];
  // Back to the first byte of a UTF-8 character, then back to the start of the token the cut would split.
  let cut = MAX_LINE_BYTES;
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  const chars = buf.toString('utf8', 0, cut).length;
  const kept = clipBeforeRedaction(buf.toString('utf8'), chars);
  return [kept, hidden + Math.max(0, buf.length - Buffer.byteLength(kept))];
}

