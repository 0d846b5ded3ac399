/**
 * systemd units through `systemctl` (runProgram: fixed argv, no shell,
 * timeout, output cap). Whether systemd runs here at all is read from the
 * collector root (proc/1/comm, run/systemd/system) before anything is
 * spawned. Unit names are validated by charset before they reach an argv and
 * always follow `--`. Parsing never throws: bad blocks are skipped with a
 * warning.
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { describeRunFailure, runProgram } from './exec.js';
import type { RunResult } from './exec.js';
import { pathExists, readLine } from './read.js';

/** Properties list_services reads for every unit. */
export const LIST_PROPERTIES = [
  'Id', 'Description', 'LoadState', 'ActiveState', 'SubState', 'Result', 'ActiveEnterTimestamp', 'StateChangeTimestamp',
  'NRestarts', 'MemoryCurrent', 'CPUUsageNSec', 'TasksCurrent', 'MainPID',
] as const;
/** Extra properties get_service reads for one unit (Environment is read for variable NAMES only). */
export const DETAIL_PROPERTIES = [
  ...LIST_PROPERTIES,
  'ExecMainStatus', 'ExecMainCode', 'ExecMainPID', 'FragmentPath', 'DropInPaths', 'MemoryMax', 'TasksMax', 'Restart', 'ControlGroup',
  'Environment', 'Requires', 'Requisite', 'BindsTo', 'Wants',
] as const;
/** Properties read for the dependencies of a unit. */
export const DEP_PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'Result'] as const;

/** `systemctl list-units` for services, as JSON. */
export const LIST_ARGV = ['list-units', '--all', '--type=service', '--output=json', '--no-pager', '--plain', '--no-legend'] as const;
/** Units per `systemctl show` call, and units read at most per listing. */
const SHOW_BATCH = 64;
const MAX_UNITS = 1024;
const MAX_OUTPUT = 8 * 1024 * 1024;

export function showArgv(properties: readonly string[], units: readonly string[]): string[] {
  return ['show', `--property=${properties.join(',')}`, '--timestamp=unix', '--no-pager', '--', ...units];
}

const UNIT_RE = /^[A-Za-z0-9:_.@\\-]+$/;

/** A unit name safe for an argv: systemd's charset, not an option, no path parts; at most 256 chars. */
export function validUnitName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && UNIT_RE.test(name) && !name.startsWith('-') && !name.startsWith('.') && !name.includes('..');
}

/** A unit glob (list_services `pattern`): the unit charset plus * ? [ ]. */
export function validUnitPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 256 && /^[A-Za-z0-9:_.@\\*?[\]-]+$/.test(pattern) && !pattern.startsWith('-');
}

/** fnmatch-style glob → RegExp (only * ? and [...] are special). */
export function unitGlob(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface SystemdStatus {
  available: boolean;
  /** Why systemd cannot be asked here (null when available). */
  reason: string | null;
  pid1Comm: string | null;
}

/** Is systemd the service manager of this host? Read from the root; nothing is spawned. */
export function systemdStatus(ctx: CollectorContext): SystemdStatus {
  const comm = readLine(join(ctx.root, 'proc/1/comm'))?.trim() || null;
  const booted = pathExists(join(ctx.root, 'run/systemd/system'));
  if (comm === 'systemd' || booted) return { available: true, reason: null, pid1Comm: comm };
  return {
    available: false,
    reason: `systemd is not PID 1 here (PID 1 is ${comm === null ? 'unreadable' : `"${comm}"`}, and run/systemd/system does not exist): there is no service manager to ask, so unit state cannot be read`,
    pid1Comm: comm,
  };
}

export interface RunOpts {
  timeoutMs?: number;
  signal?: AbortSignal;
  executable?: string;
}

export interface ListedUnit {
  name: string;
  load: string;
  active: string;
  sub: string;
  description: string;
}

interface CollectorResult<T> {
  value: T;
  warnings: string[];
  /** Set when systemctl did not give a usable answer at all. */
  error: string | null;
  truncated: boolean;
}

function run(args: readonly string[], opts: RunOpts): Promise<RunResult> {
  return runProgram('systemctl', args, {
    timeoutMs: opts.timeoutMs ?? 5000,
    maxOutputBytes: MAX_OUTPUT,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.executable ? { executable: opts.executable } : {}),
  });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Parses `systemctl list-units --output=json`; garbage gives [] and a warning. */
export function parseListUnits(text: string, warnings: string[]): ListedUnit[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    warnings.push('systemctl list-units output is not JSON (cut or garbled): no units listed');
    return [];
  }
  if (!Array.isArray(parsed)) {
    warnings.push('systemctl list-units output is not a JSON array: no units listed');
    return [];
  }
  const out: ListedUnit[] = [];
  let bad = 0;
  for (const row of parsed as unknown[]) {
    const r = (row ?? {}) as Record<string, unknown>;
    const name = str(r.unit);
    if (!validUnitName(name)) {
      bad += 1;
      continue;
    }
    out.push({ name, load: str(r.load), active: str(r.active), sub: str(r.sub), description: str(r.description) });
  }
  if (bad) warnings.push(`${bad} list-units rows without a valid unit name were skipped`);
  return out;
}

/** Parses `systemctl show` output: Key=Value lines, one block per unit, blocks separated by a blank line. */
export function parseShow(text: string, warnings: string[]): Array<Map<string, string>> {
  const blocks: Array<Map<string, string>> = [];
  let cur = new Map<string, string>();
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line === '') {
      if (cur.size) blocks.push(cur);
      cur = new Map();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      bad += 1;
      continue;
    }
    cur.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (cur.size) blocks.push(cur);
  if (bad) warnings.push(`${bad} systemctl show lines without Key=Value were ignored`);
  const out = blocks.filter((b) => b.has('Id'));
  if (out.length < blocks.length) warnings.push(`${blocks.length - out.length} systemctl show blocks without Id were ignored`);
  return out;
}

/** Every service unit systemd knows (loaded or not), at most MAX_UNITS. */
export async function listUnits(opts: RunOpts = {}): Promise<CollectorResult<ListedUnit[]>> {
  const r = await run(LIST_ARGV, opts);
  const failure = describeRunFailure(r);
  if (failure) return { value: [], warnings: [], error: failure, truncated: false };
  const warnings: string[] = [];
  if (r.truncated) warnings.push(`systemctl list-units output was cut at ${MAX_OUTPUT} bytes`);
  const units = parseListUnits(r.stdout, warnings);
  const truncated = units.length > MAX_UNITS;
  if (truncated) warnings.push(`${units.length} units listed; only the first ${MAX_UNITS} are read`);
  return { value: units.slice(0, MAX_UNITS), warnings, error: null, truncated: truncated || r.truncated };
}

/**
 * `systemctl show` of the given units in batches of SHOW_BATCH (each name
 * validated; invalid names are dropped with a warning, never spawned).
 * Returns the blocks keyed by Id.
 */
export async function showUnits(units: readonly string[], properties: readonly string[], opts: RunOpts = {}): Promise<CollectorResult<Map<string, Map<string, string>>>> {
  const warnings: string[] = [];
  const valid = units.filter(validUnitName).slice(0, MAX_UNITS);
  if (valid.length < units.length) warnings.push(`${units.length - valid.length} unit names were refused (not a valid unit name) or beyond ${MAX_UNITS}`);
  const out = new Map<string, Map<string, string>>();
  let truncated = false;
  for (let i = 0; i < valid.length; i += SHOW_BATCH) {
    if (opts.signal?.aborted) return { value: out, warnings, error: 'the call was cancelled', truncated };
    const batch = valid.slice(i, i + SHOW_BATCH);
    const r = await run(showArgv(properties, batch), opts);
    const failure = describeRunFailure(r);
    if (failure) return { value: out, warnings, error: failure, truncated };
    if (r.truncated) {
      truncated = true;
      warnings.push(`systemctl show output was cut at ${MAX_OUTPUT} bytes`);
    }
    for (const block of parseShow(r.stdout, warnings)) out.set(block.get('Id')!, block);
  }
  return { value: out, warnings, error: null, truncated };
}

// ---- property values ----

/** A systemd integer property; null for "[not set]", "infinity", empty, or the uint64 max sentinel. */
export function propInt(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,19}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** A timestamp printed with --timestamp=unix ("@1732474931") or, as a fallback, "Day YYYY-MM-DD HH:MM:SS UTC"; RFC 3339 UTC or null. */
export function propTimestamp(v: string | undefined): string | null {
  if (!v) return null;
  const unix = /^@(\d{1,12})$/.exec(v);
  if (unix) {
    const sec = Number(unix[1]);
    return sec > 0 ? new Date(sec * 1000).toISOString().replace(/\.000Z$/, 'Z') : null;
  }
  const pretty = /^\w{3} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/.exec(v);
  return pretty ? `${pretty[1]}T${pretty[2]}Z` : null;
}

/** A space-separated list property (DropInPaths, Requires, ...). */
export function propList(v: string | undefined): string[] {
  return (v ?? '').split(/\s+/).filter((s) => s !== '');
}

/** ExecMainCode is a CLD_* number: 1 exited, 2 killed, 3 dumped (core). */
export function execCodeName(v: string | undefined): string | null {
  const n = propInt(v);
  if (n === null || n === 0) return null;
  return ({ 1: 'exited', 2: 'killed', 3: 'dumped', 4: 'trapped', 5: 'stopped', 6: 'continued' } as Record<number, string>)[n] ?? String(n);
}

/**
 * Variable names of an Environment= property, never the values. systemd
 * prints `A=1 "B=two words" C=x`; names are the part before the first '='.
 */
export function environmentNames(v: string | undefined): string[] {
  const names: string[] = [];
  for (const m of (v ?? '').matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const item = m[1] ?? m[2] ?? '';
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) names.push(name);
  }
  return names;
}
