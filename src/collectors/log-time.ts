/**
 * Timestamps recognised at the start of a log line (or, for access logs, in brackets): RFC 3339 / ISO
 * ("2026-11-24T10:00:01Z", "2026-11-24 10:00:01"), syslog ("Nov 24 10:00:01", year inferred: the latest such
 * date not more than a day after now) and nginx/apache ("[24/Nov/2026:10:00:01 +0000]"). A time without a zone
 * is the host's local time, read in the server's TZ (as syslog and dpkg write it).
 */
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const ISO = /^\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b/;
const ACCESS = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/;

function offsetMs(zone: string): number {
  if (zone === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) return 0;
  const v = (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  return m[1] === '+' ? v : -v;
}

function valid(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}

/** Epoch ms of the timestamp a line carries, or null. */
export function parseLineTime(line: string, nowMs: number): number | null {
  const head = line.length > 200 ? line.slice(0, 200) : line;
  const iso = ISO.exec(head);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, zone] = iso;
    if (Number(mo) < 1 || Number(mo) > 12) return null;
    const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0] as const;
    return valid(zone ? Date.UTC(...parts) - offsetMs(zone) : new Date(...parts).getTime());
  }
  const sys = SYSLOG.exec(head);
  if (sys) {
    const month = MONTHS[sys[1]!];
    if (month === undefined) return null;
    const year = new Date(nowMs).getFullYear();
    let ms = new Date(year, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5])).getTime();
    if (ms > nowMs + 86_400_000) ms = new Date(year - 1, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5])).getTime();
    return valid(ms);
  }
  const acc = ACCESS.exec(head);
  if (acc) {
    const month = MONTHS[acc[2]!];
    if (month === undefined) return null;
    const ms = Date.UTC(Number(acc[3]), month, Number(acc[1]), Number(acc[4]), Number(acc[5]), Number(acc[6]));
    const off = (Number(acc[8]) * 60 + Number(acc[9])) * 60_000 * (acc[7] === '+' ? 1 : -1);
    return valid(ms - off);
  }
  return null;
}
