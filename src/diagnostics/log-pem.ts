/**
 * A private key logged over several lines. read_log_file redacts line by line, and the redactor replaces a PEM body
 * only when it sees BEGIN, body and END in one string; one body line alone is redacted only when it happens to pass
 * the high-entropy rule, and the short last line of a body never does. So the lines of a key block are found here
 * first, in file order, and masked whole: every line between a private-key BEGIN and its END, the body lines after
 * a BEGIN whose END is past the returned window, and the body lines before an END whose BEGIN is before it. The
 * collector flags lines inside a block during its scan as well (RawLine.inKeyBlock), which holds under grep, where
 * the returned lines are not consecutive.
 */

import { KEY_BLOCK_BEGIN as BEGIN, KEY_BLOCK_END as END, MAX_KEY_BLOCK_LINES as MAX_BLOCK_LINES } from '../collectors/logfile.js';

/** A line that may belong to a key body: base64 (possibly after a log prefix), or a PEM/PuTTY header. */
const BODY = /^[A-Za-z0-9+/]{1,100}={0,2}\s*$|[A-Za-z0-9+/]{16,}={0,2}\s*$|^(?:Proc-Type|DEK-Info|Encryption|Comment|Public-Lines|Private-Lines|Key-Derivation|Argon2-\w+):/;

export const PEM_MASK = '[REDACTED]';

/**
 * For lines in file order (oldest first), which must be masked whole. A BEGIN or END line itself keeps its text
 * (its marker names the key type only; the redactor still redacts anything after it on that line).
 */
export function pemMaskedLines(lines: readonly string[]): boolean[] {
  const mask = lines.map(() => false);
  for (let i = 0; i < lines.length; i++) {
    if (!BEGIN.test(lines[i]!)) continue;
    let j = i + 1;
    while (j < lines.length && j - i <= MAX_BLOCK_LINES && !END.test(lines[j]!)) j++;
    const closed = j < lines.length && END.test(lines[j]!);
    for (let k = i + 1; k < j; k++) {
      // Without its END in view, only body-like lines are taken (so a BEGIN that is merely mentioned masks nothing else).
      if (!closed && !BODY.test(lines[k]!)) break;
      mask[k] = true;
    }
    if (closed) i = j;
  }
  for (let i = 0; i < lines.length; i++) {
    if (!END.test(lines[i]!) || BEGIN.test(lines[i]!)) continue;
    for (let k = i - 1; k >= 0 && i - k <= MAX_BLOCK_LINES && !mask[k] && !BEGIN.test(lines[k]!) && BODY.test(lines[k]!); k--) mask[k] = true;
  }
  return mask;
}
