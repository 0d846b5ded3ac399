/**
 * Redaction applied centrally, default on, to every tool and resource result:
 * every string of a JSON value goes through redact() (src/redaction/redact.ts),
 * except the fields in SAFE_FIELDS (identifiers hostlens itself makes or that
 * are digests; redacting them would break cursors and links, and their
 * values are never secrets). Two structural rules catch secrets that have no
 * context inside their own string:
 *  - a property named like a secret (`{ "DB_PASSWORD": "x" }`) has its string
 *    value redacted whole;
 *  - an object `{ name|key: "DB_PASSWORD", value: "x" }` has `value` redacted whole.
 * Objects and arrays are copied only where something changed.
 */
import { redact, REDACTED } from '../redaction/redact.js';
import { isPlainValue, isSecretKey } from '../redaction/redact-keys.js';

/** Fields never redacted: hostlens's own identifiers, cursors, URIs and digests. Keep this list small. */
export const SAFE_FIELDS: ReadonlySet<string> = new Set([
  'sha256',
  'nextCursor',
  'cursor',
  'snapshotId',
  'uri',
  'resourceUri',
  'bootId',
  'machineId',
  'collectedAt',
  'host',
]);

const MAX_DEPTH = 64;

interface RedactedValue<T> {
  value: T;
  /** Redactions made by this pass (values already shown as [REDACTED] are not counted again). */
  count: number;
}

function wholeValue(value: string): string | null {
  return isPlainValue(value) ? null : REDACTED;
}

/** Every string in `value` redacted (see the module comment). */
export function redactValue<T>(value: T): RedactedValue<T> {
  let count = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const r = redact(v);
      count += r.count;
      return r.text;
    }
    if (depth >= MAX_DEPTH || !v || typeof v !== 'object') return v;
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((item) => {
        const w = walk(item, depth + 1);
        if (w !== item) changed = true;
        return w;
      });
      return changed ? out : v;
    }
    const obj = v as Record<string, unknown>;
    const pairName = typeof obj.name === 'string' ? obj.name : typeof obj.key === 'string' ? obj.key : null;
    const pairSecret = pairName !== null && typeof obj.value === 'string' && isSecretKey(pairName);
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(obj)) {
      let w: unknown = item;
      if (SAFE_FIELDS.has(k)) w = item;
      else if (typeof item === 'string' && ((pairSecret && k === 'value') || isSecretKey(k))) {
        const inner = walk(item, depth + 1) as string;
        const whole = inner === item ? wholeValue(item) : null;
        if (whole !== null) count += 1;
        w = whole ?? inner;
      } else w = walk(item, depth + 1);
      if (w !== item) changed = true;
      // defineProperty, not out[k] = w: a "__proto__" key in the data stays an own key instead of becoming the copy's prototype.
      Object.defineProperty(out, k, { value: w, enumerable: true, writable: true, configurable: true });
    }
    return changed ? out : v;
  };
  return { value: walk(value, 0) as T, count };
}

/** How many values `value` shows as [REDACTED] (by hostlens's tools or by this pass). */
export function countRedacted(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  let n = 0;
  for (let i = text.indexOf(REDACTED); i !== -1; i = text.indexOf(REDACTED, i + REDACTED.length)) n += 1;
  return n;
}

/** A resource body redacted: JSON bodies structurally (re-serialised only when something changed), others as text. */
export function redactResourceText(text: string, mimeType: string): string {
  if (mimeType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return redact(text).text;
    }
    const r = redactValue(parsed);
    if (r.value === parsed) return text;
    return JSON.stringify(r.value, null, text.includes('\n') ? 2 : undefined);
  }
  return redact(text).text;
}
