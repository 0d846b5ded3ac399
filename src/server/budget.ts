/**
 * The result budget (maxResultBytes): a tool's structuredContent never
 * serialises to more than the budget. In order, until it fits:
 *  1. a paged result (ToolOutput.page) keeps the largest prefix of its page
 *     list that fits, and `truncated.nextCursor` continues exactly after it;
 *  2. assessments with status "ok" are left out (as few as needed; every
 *     other status is kept);
 *  3. the longest strings in `data` and `assessments` are clipped with the
 *     `…[+N chars]` marker;
 *  4. the largest arrays in `data` are cut, then those in `assessments`, and a
 *     warning says which.
 * Every cut adds a warning. Pure: no SDK, no I/O.
 */
import type { ToolPage } from '../definitions/types.js';
import { clipString } from '../collectors/read.js';
import { encodeCursor } from '../tools/paging.js';

interface Truncated {
  returned: number;
  total: number;
  nextCursor?: string;
}

/** The envelope fields the budget may change; everything else is passed through. */
export interface BudgetEnvelope {
  data: unknown;
  assessments?: unknown[];
  truncated?: Truncated;
  warnings?: string[];
  [key: string]: unknown;
}

interface BudgetOutcome<E extends BudgetEnvelope> {
  envelope: E;
  /** Serialised size of `envelope` in bytes (UTF-8 JSON). */
  bytes: number;
  /** False when nothing could bring it under the budget (the caller must refuse it). */
  fits: boolean;
  /** True when anything was cut or clipped. */
  cut: boolean;
}

/** Strings are never clipped below this many characters (enums, timestamps and ids stay whole). */
export const MIN_CLIP_CHARS = 32;

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function withWarning<E extends BudgetEnvelope>(envelope: E, warning: string): E {
  return { ...envelope, warnings: [...(envelope.warnings ?? []), warning] };
}

/** The largest n in [lo, hi] with fits(n) true, assuming fits is monotone; lo when none. */
function largest(lo: number, hi: number, fits: (n: number) => boolean): number {
  let best = lo;
  let a = lo;
  let b = hi;
  while (a <= b) {
    const mid = Math.floor((a + b) / 2);
    if (fits(mid)) {
      best = mid;
      a = mid + 1;
    } else b = mid - 1;
  }
  return best;
}

function pageList(envelope: BudgetEnvelope, page: ToolPage | undefined): unknown[] | null {
  if (!page) return null;
  const data = envelope.data as Record<string, unknown> | null;
  const list = data && typeof data === 'object' ? data[page.field] : undefined;
  return Array.isArray(list) ? list : null;
}

function pageWarningPrefix(page: ToolPage): string {
  return `${page.field} cut to `;
}

/** The envelope with the page list cut to its first `n` items and `truncated` continuing after them. */
function cutPage<E extends BudgetEnvelope>(envelope: E, page: ToolPage, list: readonly unknown[], n: number, maxBytes: number): E {
  const end = page.offset + n;
  const truncated: Truncated = { returned: n, total: page.total, ...(end < page.total ? { nextCursor: encodeCursor(end, page.query) } : {}) };
  const cut = { ...envelope, data: { ...(envelope.data as Record<string, unknown>), [page.field]: list.slice(0, n) }, truncated };
  const rest = end < page.total ? '; pass truncated.nextCursor as cursor for the rest' : '';
  const warnings = (envelope.warnings ?? []).filter((w) => !w.startsWith(pageWarningPrefix(page)));
  return { ...cut, warnings: [...warnings, `${pageWarningPrefix(page)}${n} items from offset ${page.offset} of ${page.total} to fit maxResultBytes (${maxBytes})${rest}`] };
}

/** Every string in a JSON value clipped to `cap` characters (with the marker); objects and arrays copied only where changed. */
function clipAll(value: unknown, cap: number): unknown {
  if (typeof value === 'string') return value.length > cap ? clipString(value, cap) : value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const c = clipAll(v, cap);
      if (c !== v) changed = true;
      return c;
    });
    return changed ? out : value;
  }
  if (value && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const c = clipAll(v, cap);
      if (c !== v) changed = true;
      out[k] = c;
    }
    return changed ? out : value;
  }
  return value;
}

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  let max = 0;
  if (Array.isArray(value)) for (const v of value) max = Math.max(max, longestString(v));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) max = Math.max(max, longestString(v));
  return max;
}

/** Clips the longest strings of data and assessments just enough to fit (never below MIN_CLIP_CHARS); null when clipping cannot help. */
function clipStrings<E extends BudgetEnvelope>(envelope: E, maxBytes: number): E | null {
  const longest = Math.max(longestString(envelope.data), longestString(envelope.assessments));
  if (longest <= MIN_CLIP_CHARS) return null;
  const warning = `strings longer than the budget allows were clipped (marker …[+N chars]) to fit maxResultBytes (${maxBytes})`;
  const at = (cap: number): E =>
    withWarning(
      { ...envelope, data: clipAll(envelope.data, cap), ...(envelope.assessments ? { assessments: clipAll(envelope.assessments, cap) as unknown[] } : {}) },
      warning,
    );
  const cap = largest(MIN_CLIP_CHARS, longest - 1, (c) => jsonBytes(at(c)) <= maxBytes);
  return at(cap);
}

function isOk(assessment: unknown): boolean {
  return !!assessment && typeof assessment === 'object' && (assessment as { status?: unknown }).status === 'ok';
}

/** Leaves out as few "ok" assessments as needed (the last ones first); null when there are none. */
function dropOkAssessments<E extends BudgetEnvelope>(envelope: E, maxBytes: number): E | null {
  const all = envelope.assessments;
  const okCount = Array.isArray(all) ? all.filter(isOk).length : 0;
  if (!all || okCount === 0) return null;
  const at = (keep: number): E => {
    let kept = 0;
    const assessments = all.filter((a) => !isOk(a) || kept++ < keep);
    return withWarning({ ...envelope, assessments }, `${okCount - keep} assessment(s) with status ok left out to fit maxResultBytes (${maxBytes}); every other status is kept`);
  };
  return at(largest(0, okCount - 1, (k) => jsonBytes(at(k)) <= maxBytes));
}

interface ArrayRef {
  path: string;
  array: unknown[];
  bytes: number;
}

function arraysIn(value: unknown, path: string, out: ArrayRef[]): void {
  if (Array.isArray(value)) {
    if (value.length > 0) out.push({ path, array: value, bytes: jsonBytes(value) });
    value.forEach((v, i) => arraysIn(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) arraysIn(v, `${path}.${k}`, out);
  }
}

function replaceArray(value: unknown, target: unknown[], replacement: unknown[]): unknown {
  if (value === target) return replacement;
  if (Array.isArray(value)) return value.map((v) => replaceArray(v, target, replacement));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceArray(v, target, replacement);
    return out;
  }
  return value;
}

/**
 * Cuts the largest array of data to the longest prefix that fits (or to half,
 * when even an empty one does not), with a warning naming it. The page list
 * keeps at least one item and its `truncated` follows the cut. Null when there
 * is nothing left to cut.
 */
function cutLargestArray<E extends BudgetEnvelope>(envelope: E, page: ToolPage | undefined, maxBytes: number): E | null {
  const list = pageList(envelope, page);
  const candidatesIn = (value: unknown, path: string): ArrayRef[] => {
    const refs: ArrayRef[] = [];
    arraysIn(value, path, refs);
    return refs.filter((r) => (r.array === list ? r.array.length > 1 : r.array.length > 0)).sort((a, b) => b.bytes - a.bytes);
  };
  const inData = candidatesIn(envelope.data, 'data');
  const biggest = inData[0] ?? candidatesIn(envelope.assessments, 'assessments')[0];
  if (!biggest) return null;
  const { array, path } = biggest;
  if (array === list && page) {
    const n = largest(1, array.length - 1, (k) => jsonBytes(cutPage(envelope, page, array, k, maxBytes)) <= maxBytes);
    return cutPage(envelope, page, array, n, maxBytes);
  }
  const warning = (k: number): string => `${path} cut from ${array.length} to ${k} items to fit maxResultBytes (${maxBytes})`;
  const at = (k: number): E => {
    if (!inData[0]) return withWarning({ ...envelope, assessments: replaceArray(envelope.assessments, array, array.slice(0, k)) as unknown[] }, warning(k));
    const cut = { ...envelope, data: replaceArray(envelope.data, array, array.slice(0, k)) };
    // The handler's truncated describes this array when its count matches: it follows the cut (a
    // nextCursor past the cut would skip items, so it is dropped); otherwise it is kept as is.
    const prior = envelope.truncated;
    const truncated = !prior ? { returned: k, total: array.length } : prior.returned === array.length ? { returned: k, total: prior.total } : prior;
    return withWarning({ ...cut, truncated }, warning(k));
  };
  const fitting = largest(-1, array.length - 1, (k) => k >= 0 && jsonBytes(at(k)) <= maxBytes);
  return at(fitting >= 0 ? fitting : Math.floor(array.length / 2));
}

/** Brings a tool result envelope under maxBytes; see the module comment for the order of cuts. */
export function fitToBudget<E extends BudgetEnvelope>(envelope: E, page: ToolPage | undefined, maxBytes: number): BudgetOutcome<E> {
  let current = envelope;
  let bytes = jsonBytes(current);
  if (bytes <= maxBytes) return { envelope: current, bytes, fits: true, cut: false };

  const list = pageList(current, page);
  if (page && list && list.length > 1) {
    const n = largest(1, list.length - 1, (k) => jsonBytes(cutPage(current, page, list, k, maxBytes)) <= maxBytes);
    current = cutPage(current, page, list, n, maxBytes);
    bytes = jsonBytes(current);
  }
  for (const step of [dropOkAssessments, clipStrings]) {
    if (bytes <= maxBytes) break;
    const next = step(current, maxBytes);
    if (next) {
      current = next;
      bytes = jsonBytes(current);
    }
  }
  // Each round removes at least one item, so this ends.
  while (bytes > maxBytes) {
    const next = cutLargestArray(current, page, maxBytes);
    if (!next) break;
    current = next;
    bytes = jsonBytes(current);
  }
  return { envelope: current, bytes, fits: bytes <= maxBytes, cut: true };
}

/** Text clipped so its UTF-8 size stays within maxBytes, with the `…[+N chars]` marker. */
export function clipText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const chars = Array.from(text);
  const n = largest(0, chars.length - 1, (k) => Buffer.byteLength(clipString(text, k), 'utf8') <= maxBytes);
  return clipString(text, n);
}
