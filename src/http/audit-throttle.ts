/**
 * Throttling of the audit lines of unauthenticated refusals (401, the 400s
 * before authentication, the Host/Origin 403s: principal `unauthenticated`).
 *
 * Anyone who can reach the port can make those, as fast as the server
 * answers: 689,682 of them in 4 minutes rotated every authenticated line out
 * of the default 6 × 10 MiB. So at most `perWindow` (20) such lines are
 * written per window (60 s); the rest of the window's refusals are counted and
 * written as one summary line when the window ends:
 * `{"principal":"unauthenticated","outcome":"suppressed","count":N,"byStatus":{"401":N,…}}`
 * (`ts` the window's start, `durationMs` its length). Unauthenticated traffic
 * then writes at most 21 lines a minute (≈ 9 MB a day), so the authenticated
 * lines outlive a sustained flood by days instead of minutes, and the counts
 * still add up: written lines plus the summaries' counts = refusals.
 */
import type { AuditEntry } from './audit-entry.js';

/** The principal of a request that never authenticated (telemetry.ts's UNAUTHENTICATED). */
const UNAUTHENTICATED = 'unauthenticated';

export const UNAUTH_LINES_PER_WINDOW = 20;
export const UNAUTH_WINDOW_MS = 60_000;

export interface ThrottleOptions {
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

export interface RefusalThrottle {
  /** Whether `entry` is written; false when it was counted into the window's summary instead. */
  admit(entry: AuditEntry): boolean;
  /** The summary of the current window when it has suppressed anything (and starts a new window). */
  flush(): AuditEntry | null;
}

export function createRefusalThrottle(emit: (summary: AuditEntry) => void, options: ThrottleOptions = {}): RefusalThrottle & { stop(): void } {
  const perWindow = Math.max(0, options.perWindow ?? UNAUTH_LINES_PER_WINDOW);
  const windowMs = Math.max(1, options.windowMs ?? UNAUTH_WINDOW_MS);
  const now = options.now ?? Date.now;
  let start = 0;
  let written = 0;
  let suppressed = 0;
  let byStatus: Record<string, number> = {};
  let timer: NodeJS.Timeout | undefined;

  const flush = (): AuditEntry | null => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const summary: AuditEntry | null =
      suppressed > 0
        ? {
            ts: new Date(start).toISOString(),
            principal: UNAUTHENTICATED,
            era: null,
            httpMethod: '*',
            method: null,
            durationMs: Math.min(windowMs, Math.max(0, now() - start)),
            outcome: 'suppressed',
            httpStatus: 0,
            bytes: 0,
            sessionRef: null,
            requestId: null,
            count: suppressed,
            byStatus,
          }
        : null;
    written = 0;
    suppressed = 0;
    byStatus = {};
    start = now();
    return summary;
  };
  const emitFlush = (): void => {
    const summary = flush();
    if (summary) emit(summary);
  };

  return {
    admit(entry) {
      if (entry.principal !== UNAUTHENTICATED) return true;
      if (now() - start >= windowMs) emitFlush();
      if (written < perWindow) {
        written += 1;
        return true;
      }
      suppressed += 1;
      const key = String(entry.httpStatus);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      // The window's summary is written when it ends, even if nothing else arrives.
      if (!timer) {
        timer = setTimeout(emitFlush, Math.max(0, start + windowMs - now()));
        timer.unref();
      }
      return false;
    },
    flush,
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
