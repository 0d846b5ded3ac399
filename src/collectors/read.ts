/**
 * Small, synchronous, never-throwing file helpers shared by the collectors, plus number parsing helpers.
 * procfs files report size 0, so reads loop until EOF (or the byte cap) rather than trusting stat().
 */
import { closeSync, existsSync, openSync, readSync, readdirSync } from 'node:fs';

/** Default cap for a single /proc or /sys file: generous for cpuinfo on large machines, still bounded. */
const DEFAULT_MAX_BYTES = 1024 * 1024;

interface ReadTextResult {
  /** The (possibly truncated) text; null when the file could not be read. */
  text: string | null;
  /** errno code when the read failed (ENOENT, EACCES, ESRCH, ...). */
  error: string | null;
  /** True when the file held more than maxBytes (the rest was not read). */
  truncated: boolean;
}

function errCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/**
 * One shared buffer for the common small reads (proc/[pid]/stat and friends). Safe because every read here is
 * synchronous: nothing else can run between filling the buffer and decoding it. Saves an allocation and a copy
 * per file, which matters when a scan reads thousands of them.
 */
const SHARED = Buffer.allocUnsafe(64 * 1024 + 1);

/** Reads at most maxBytes of a file as UTF-8. Never throws. */
export function readTextDetailed(path: string, maxBytes: number = DEFAULT_MAX_BYTES): ReadTextResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return { text: null, error: errCode(e), truncated: false };
  }
  try {
    const cap = Math.max(1, Math.floor(maxBytes));
    if (cap < SHARED.length) {
      // Read one byte past the cap to learn whether the file was truncated.
      let total = 0;
      while (total <= cap) {
        const n = readSync(fd, SHARED, total, cap + 1 - total, null);
        if (n === 0) break;
        total += n;
      }
      const truncated = total > cap;
      return { text: SHARED.toString('utf8', 0, truncated ? cap : total), error: null, truncated };
    }
    const buf = Buffer.allocUnsafe(64 * 1024);
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= cap) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, cap + 1 - total), null);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
    }
    const all = Buffer.concat(chunks, total);
    const truncated = total > cap;
    return { text: (truncated ? all.subarray(0, cap) : all).toString('utf8'), error: null, truncated };
  } catch (e) {
    return { text: null, error: errCode(e), truncated: false };
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* ignore */
    }
  }
}

/** Reads at most maxBytes of a file; null on any error (ENOENT, EACCES, ESRCH, EISDIR, ...). */
export function readText(path: string, maxBytes: number = DEFAULT_MAX_BYTES): string | null {
  return readTextDetailed(path, maxBytes).text;
}

/** Like readText, but trimmed and null when empty. For one-value files (hostname, memory.max, ...). */
export function readLine(path: string, maxBytes = 4096): string | null {
  const t = readText(path, maxBytes);
  if (t === null) return null;
  const s = t.trim();
  return s === '' ? null : s;
}

/** Directory entries, or null on any error. */
export function listDir(path: string): string[] | null {
  try {
    return readdirSync(path);
  } catch {
    return null;
  }
}

/** Existence test that never throws (and follows symlinks). */
export function pathExists(path: string): boolean {
  try {
    return existsSync(path);
  } catch {
    return false;
  }
}

/** A non-negative integer or null ('', 'abc', '-1', NaN → null). Accepts values beyond 2^53 approximately. */
export function parseNonNegInt(s: string | undefined | null): number | null {
  if (s === undefined || s === null) return null;
  const t = s.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * A count reported as is (sockets, table entries, …): a non-negative integer small enough to be exact
 * (≤ 2^53 − 1), else null. Cumulative counters that only feed deltas use parseNonNegInt instead.
 */
export function parseCount(s: string | undefined | null): number | null {
  const n = parseNonNegInt(s);
  return n !== null && Number.isSafeInteger(n) ? n : null;
}

/** A signed integer or null. */
export function parseInteger(s: string | undefined | null): number | null {
  if (s === undefined || s === null) return null;
  const t = s.trim();
  if (!/^-?\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** A finite decimal number or null. */
export function parseDecimal(s: string | undefined | null): number | null {
  if (s === undefined || s === null) return null;
  const t = s.trim();
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** Rounds to one decimal place (the precision of every …Pct field). */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Rounds to `digits` decimal places. */
export function roundTo(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Percentage part/whole, rounded to 0.1 and clamped to 0–100; null when whole is not positive. */
export function pct(part: number, whole: number): number | null {
  if (!(whole > 0) || !Number.isFinite(part)) return null;
  return Math.min(100, Math.max(0, round1((part / whole) * 100)));
}

/** RFC 3339 UTC timestamp (second precision) for a Unix epoch in seconds. */
export function epochSecToRfc3339(sec: number): string {
  return new Date(Math.round(sec) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Parses "key value" or "key: value [kB]" lines into numbers (the value is the first numeric token; units are
 * left to the caller). Lines that do not parse are skipped and counted.
 */
export function parseKeyValueNumbers(text: string): { values: Map<string, number>; badLines: number } {
  const values = new Map<string, number>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^\s*([^\s:]+(?:\([^)]*\))?)\s*:?\s+(-?\d+)(?:\s|$)/.exec(line);
    if (!m) {
      badLines++;
      continue;
    }
    const n = Number(m[2]);
    if (Number.isFinite(n)) values.set(m[1]!, n);
    else badLines++;
  }
  return { values, badLines };
}

const MARKER = '[REDACTED]';

/**
 * Clips a string to maxChars, appending the house marker `…[+N chars]` when anything was cut.
 * For text already redacted: a `[REDACTED]` marker is never cut in two (the cut moves before it).
 * Text not yet redacted goes through clipBeforeRedaction instead.
 */
export function clipString(s: string, maxChars: number, extraHiddenChars = 0): string {
  const chars = Array.from(s);
  const over = chars.length - maxChars;
  if (over <= 0 && extraHiddenChars <= 0) return s;
  if (over <= 0) return `${s}…[+${extraHiddenChars} chars]`;
  let keep = Math.max(0, maxChars);
  for (let k = 1; k < MARKER.length && k <= keep; k += 1) {
    if (chars.slice(keep - k, keep).join('') === MARKER.slice(0, k) && chars.slice(keep, keep + MARKER.length - k).join('') === MARKER.slice(k)) {
      keep -= k;
      break;
    }
  }
  return `${chars.slice(0, keep).join('')}…[+${chars.length - keep + extraHiddenChars} chars]`;
}

/** Characters a secret token is made of: a cut inside a run of these could leave half a secret. */
const TOKEN_CHAR = /[A-Za-z0-9+/=_~.%-]/;

/**
 * Bounds text that is NOT yet redacted (a command line, audit arguments) to about maxChars so the redactor's work
 * stays bounded, without cutting a secret in two: the cut moves back to the start of the token it would split, so
 * the redactor later sees whole tokens or none (a token that fills the last 64 chars is long enough to be judged on
 * its own). Redact the result, then clipString it for display.
 */
export function clipBeforeRedaction(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  let cut = maxChars;
  const floor = Math.max(0, maxChars - 64);
  while (cut > floor && TOKEN_CHAR.test(s[cut - 1] ?? '') && TOKEN_CHAR.test(s[cut] ?? '')) cut -= 1;
  if (cut === floor && floor > 0 && TOKEN_CHAR.test(s[cut - 1] ?? '')) cut = maxChars;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // never half a surrogate pair
  return s.slice(0, cut);
}

/** clipBeforeRedaction with the house marker `…[+N chars]` when anything was cut. */
export function clipStringBeforeRedaction(s: string, maxChars: number): string {
  const kept = clipBeforeRedaction(s, maxChars);
  return kept.length === s.length ? s : `${kept}…[+${s.length - kept.length} chars]`;
}
