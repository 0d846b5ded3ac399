/**
 * Throttling of the audit lines of refusals, so that no one can push the
 * audit trail out of its rotated files by being refused fast.
 *
 * - Unauthenticated refusals (401, the 400s before authentication, the
 *   Host/Origin 403s: principal `unauthenticated`): anyone who can reach the
 *   port can make those as fast as the server answers; 689,682 of them in 4
 *   minutes rotated every authenticated line out of the default 6 × 10 MiB.
 * - A principal's own HTTP-level refusals (429 over its rate or stream cap,
 *   403 insufficient_scope, 404 unknown session, 400 malformed body, …:
 *   outcome `http_<status>` with status ≥ 400): they cost the server next to
 *   nothing, so the rate limit does not bound them, and a read-only token
 *   sending as fast as it can would otherwise rotate every other principal's
 *   lines away just the same. Requests that were served (ok, tool_error,
 *   rpc_error) are not throttled: the rate limit bounds them, and they are
 *   the trail.
 *
 * Per key (the principal; `unauthenticated` for everyone unauthenticated), at
 * most `perWindow` (20) such lines are written per window (60 s); the rest of
 * the window's refusals are counted and written as one summary line when the
 * window ends: `{"principal":…,"outcome":"suppressed","count":N,"byStatus":{"429":N,…}}`
 * (`ts` the window's start, `durationMs` its length). Written lines plus the
 * summaries' counts = refusals. At most MAX_KEYS principals are tracked at
 * once (OAuth subjects are not a fixed list); beyond that they share one key.
 */
import type { AuditEntry } from '../contracts/audit.js';

/** The principal of a request that never authenticated (telemetry.ts's UNAUTHENTICATED). */
const UNAUTHENTICATED = 'unauthenticated';
/** The key principals past MAX_KEYS share (their summary names no single principal). */
const OVERFLOW = '*';
const MAX_KEYS = 1_000;

const UNAUTH_LINES_PER_WINDOW = 20;
const UNAUTH_WINDOW_MS = 60_000;

export interface ThrottleOptions {
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

interface RefusalThrottle {
  /** Whether `entry` is written; false when it was counted into its window's summary instead. */
  admit(entry: AuditEntry): boolean;
  /** The summaries of every window that has suppressed anything (and starts new windows). */
  flush(): AuditEntry[];
}

interface Window {
  start: number;
  written: number;
  suppressed: number;
  byStatus: Record<string, number>;
  timer: NodeJS.Timeout | undefined;
}

/** The throttle key of an entry, or null when it is not a throttled refusal. */
function keyOf(entry: AuditEntry): string | null {
  if (entry.principal === UNAUTHENTICATED) return UNAUTHENTICATED;
  if (entry.httpStatus >= 400 && entry.outcome.startsWith('http_')) return entry.principal;
  return null;
}

export function createRefusalThrottle(emit: (summary: AuditEntry) => void, options: ThrottleOptions = {}): RefusalThrottle & { stop(): void } {
  const perWindow = Math.max(0, options.perWindow ?? UNAUTH_LINES_PER_WINDOW);
  const windowMs = Math.max(1, options.windowMs ?? UNAUTH_WINDOW_MS);
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  const summaryOf = (key: string, w: Window): AuditEntry | null =>
    w.suppressed > 0
      ? {
          ts: new Date(w.start).toISOString(),
          principal: key,
          era: null,
          httpMethod: '*',
          method: null,
          durationMs: Math.min(windowMs, Math.max(0, now() - w.start)),
          outcome: 'suppressed',
          httpStatus: 0,
          bytes: 0,
          sessionRef: null,
          requestId: null,
          count: w.suppressed,
          byStatus: w.byStatus,
        }
      : null;

  /** Ends one key's window: its summary (if it suppressed anything), and the key forgotten. */
  const end = (key: string): AuditEntry | null => {
    const w = windows.get(key);
    if (!w) return null;
    if (w.timer) clearTimeout(w.timer);
    windows.delete(key);
    return summaryOf(key, w);
  };
  const endAndEmit = (key: string): void => {
    const summary = end(key);
    if (summary) emit(summary);
  };

  return {
    admit(entry) {
      let key = keyOf(entry);
      if (key === null) return true;
      if (!windows.has(key) && key !== UNAUTHENTICATED && windows.size >= MAX_KEYS) key = OVERFLOW;
      let w = windows.get(key);
      if (w && now() - w.start >= windowMs) {
        endAndEmit(key);
        w = undefined;
      }
      if (!w) {
        w = { start: now(), written: 0, suppressed: 0, byStatus: {}, timer: undefined };
        windows.set(key, w);
      }
      if (w.written < perWindow) {
        w.written += 1;
        return true;
      }
      w.suppressed += 1;
      const status = String(entry.httpStatus);
      w.byStatus[status] = (w.byStatus[status] ?? 0) + 1;
      // The window's summary is written when it ends, even if nothing else arrives.
      if (!w.timer) {
        const k = key;
        w.timer = setTimeout(() => endAndEmit(k), Math.max(0, w.start + windowMs - now()));
        w.timer.unref();
      }
      return false;
    },
    flush() {
      const out: AuditEntry[] = [];
      for (const key of [...windows.keys()]) {
        const summary = end(key);
        if (summary) out.push(summary);
      }
      return out;
    },
    stop() {
      for (const w of windows.values()) if (w.timer) clearTimeout(w.timer);
      windows.clear();
    },
  };
}
