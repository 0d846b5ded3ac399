/**
 * Time arguments as agents write them: "now", a relative offset ("-90s",
 * "-15m", "-2h", "-1d") or an RFC 3339 timestamp with a zone.
 */
import { HostlensError } from '../contracts/errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Date.parse rolls "2026-02-30" over to March 2: the day of a "YYYY-MM-DD…" string must exist in its month. */
export function realCalendarDay(v: string): boolean {
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/**
 * Epoch ms of a time argument: "now", a relative offset ("-90s", "-15m", "-2h", "-1d") or an RFC 3339 timestamp
 * with a zone. Anything else is an invalid_argument HostlensError naming the argument.
 */
export function parseTime(value: string, nowMs: number, what: string): number {
  const v = value.trim();
  if (v === 'now') return nowMs;
  const rel = /^-(\d{1,6}(?:\.\d{1,3})?)([smhd])$/.exec(v);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (RFC3339.test(v) && realCalendarDay(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new HostlensError(
    'invalid_argument',
    `${what} "${v.slice(0, 64)}" is not a time: use "now", a relative offset like "-30s", "-15m", "-2h", "-1d", or an RFC 3339 timestamp like "2026-01-31T13:45:00Z"`,
  );
}
