/**
 * One way to print a value that was not measured or is not known, in any text a user reads: tool renderings,
 * assessment messages and evidence, event summaries, change details, prompts. It reads "n/a", or the clause
 * that would carry it is left out; never "?", "null" or a unit without its number.
 */

/** What the text prints for a value that was not measured or is not known. */
export const NA = 'n/a';

/**
 * A value for the text: `v` followed by `unit` (e.g. ' ms', '/s', '%') or formatted by a function; "n/a"
 * without the unit when it is missing, so a missing figure reads "await n/a", never "await ? ms".
 */
export function show<T>(v: T | null | undefined, unit: string | ((v: T) => string) = ''): string {
  if (v === null || v === undefined) return NA;
  return typeof unit === 'function' ? unit(v) : `${String(v)}${unit}`;
}

/** A clause that means nothing without its value: `clause(v)`, or '' (left out) when `v` is missing. */
export function ifKnown<T>(v: T | null | undefined, clause: (v: T) => string): string {
  return v === null || v === undefined ? '' : clause(v);
}

/**
 * A process as "comm[pid]"; "pid N" when its name is not known (an empty name included), the name alone
 * when its pid is not, "n/a" when neither is.
 */
export function fmtProc(comm: string | null | undefined, pid: number | null | undefined): string {
  if (pid === null || pid === undefined) return comm || NA;
  return comm ? `${comm}[${pid}]` : `pid ${pid}`;
}
