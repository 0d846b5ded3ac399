/**
 * search_logs: one bounded journal query (collectors/journal.ts) shaped as entries, facets or patterns.
 * Every string taken from the journal passes through redact() and clipString before it is returned.
 */
import { z } from 'zod';
import type { Services } from '../catalogue/services.js';
import { DEFAULT_SCAN, PRIORITY_NAMES, countJournal, locateJournal, queryJournal } from '../collectors/journal.js';
import type { JournalEntry, JournalQuery, JournalResult, QueryOptions } from '../collectors/journal.js';
import { clipString } from '../collectors/read.js';
import { unknownAssessment } from './assessment.js';
import type { Assessment } from './assessment.js';
import { PatternGrouper } from './log-patterns.js';
import { redact } from './redact.js';
import { forEachSliced } from '../util/slices.js';
import type { SliceOptions } from '../util/slices.js';

export const LOG_MODES = ['entries', 'facets', 'patterns'] as const;
export type LogMode = (typeof LOG_MODES)[number];
export const MESSAGE_CHARS = 1000;
const EXAMPLE_CHARS = 500;
const FACET_TOP = 20;

const ts = z.string().describe('RFC 3339 UTC');
const entrySchema = z.object({
  ts: ts.describe('RFC 3339 UTC, microseconds'),
  priority: z.enum(PRIORITY_NAMES).nullable().describe('syslog priority name (emerg=0 … debug=7)'),
  priorityLevel: z.number().int().min(0).max(7).nullable(),
  unit: z.string().nullable().describe('systemd unit (_SYSTEMD_UNIT or UNIT)'),
  identifier: z.string().nullable().describe('SYSLOG_IDENTIFIER (or _COMM)'),
  pid: z.number().int().nullable(),
  bootId: z.string().nullable(),
  transport: z.string().nullable().describe('kernel, syslog, journal, stdout, audit, driver'),
  message: z.string().describe('redacted; clipped with …[+N chars]'),
});
export type LogEntryOut = z.infer<typeof entrySchema>;

const facetSchema = z.record(z.string(), z.number().int()).describe(`top ${FACET_TOP} values → entry count; "(none)" = field absent`);
const patternSchema = z.object({
  template: z.string().describe('message with <n>, <hex>, <uuid>, <ip>, <mac>, <path> masks'),
  count: z.number().int(),
  firstAt: ts,
  lastAt: ts,
  example: z.string().describe('the newest matching message (redacted, clipped)'),
});
export type LogPatternOut = z.infer<typeof patternSchema>;

export const logsDataSchema = z.object({
  available: z.boolean().describe('false: no journal to read here (journalctl missing or journald not storing logs); see warnings'),
  mode: z.enum(LOG_MODES),
  journal: z.string().describe('the journal read: a directory, or "system"'),
  totalMatched: z
    .number()
    .int()
    .describe('entries matching every filter, before paging: counted over the whole since..until range even when the scan was limited (up to 200,000), except with grep, which is applied to the scanned entries only'),
  totalIsLowerBound: z.boolean().describe('true: more entries may match than totalMatched (grep over a limited scan, or the count stopped at its bound)'),
  scannedCount: z.number().int().describe('entries journalctl returned (newest first) before grep'),
  maxScan: z.number().int().describe('bound on entries scanned (--lines)'),
  scanLimited: z.boolean().describe('the scan stopped at maxScan or the output cap: entries, facets and patterns cover only the newest scannedCount entries'),
  newestAt: ts.nullable().describe('newest matched entry'),
  oldestAt: ts.nullable().describe('oldest matched entry'),
  redactions: z.number().int().describe('secrets replaced by [REDACTED] in this result'),
  entries: z.array(entrySchema).optional().describe('mode entries: newest first'),
  facets: z
    .object({ unit: facetSchema, priority: facetSchema, identifier: facetSchema, distinct: z.object({ unit: z.number().int(), priority: z.number().int(), identifier: z.number().int() }) })
    .optional()
    .describe('mode facets: counts over all matched entries'),
  patterns: z.array(patternSchema).optional().describe('mode patterns: ranked by count'),
  patternCount: z.number().int().optional().describe('distinct templates (mode patterns)'),
});
export type LogsData = z.infer<typeof logsDataSchema>;

/** Redacts then clips strings, counting redactions. */
export class Scrubber {
  redactions = 0;
  text(s: string, max = MESSAGE_CHARS): string {
    const r = redact(s);
    this.redactions += r.count;
    return clipString(r.text, max);
  }
  nullable(s: string | null, max = 256): string | null {
    return s === null ? null : this.text(s, max);
  }
}

function isoOfUs(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 19)}Z`;
}

export function entryOut(e: JournalEntry, s: Scrubber): LogEntryOut {
  return {
    ts: e.ts,
    priority: e.priorityName,
    priorityLevel: e.priority,
    unit: s.nullable(e.unit),
    identifier: s.nullable(e.identifier),
    pid: e.pid,
    bootId: e.bootId,
    transport: e.transport,
    message: s.text(e.message),
  };
}

function facet(entries: readonly JournalEntry[], key: (e: JournalEntry) => string | null, s: Scrubber): { top: Record<string, number>; distinct: number } {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const k = key(e) ?? '(none)';
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top: Record<string, number> = {};
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, FACET_TOP)) top[s.text(k, 256)] = n;
  return { top, distinct: counts.size };
}

export function logFacets(entries: readonly JournalEntry[], s: Scrubber): NonNullable<LogsData['facets']> {
  const unit = facet(entries, (e) => e.unit, s);
  const priority = facet(entries, (e) => e.priorityName, s);
  const identifier = facet(entries, (e) => e.identifier, s);
  return { unit: unit.top, priority: priority.top, identifier: identifier.top, distinct: { unit: unit.distinct, priority: priority.distinct, identifier: identifier.distinct } };
}

/**
 * Patterns over redacted messages (a secret never becomes part of a template). Redacting and templating
 * cost ≈ 30–50 µs a message, ≈ 1 s for 20,000: done in slices that yield to the event loop and stop
 * when `signal` aborts (util/slices.ts).
 */
export async function logPatterns(entries: readonly JournalEntry[], s: Scrubber, options: SliceOptions = {}): Promise<LogPatternOut[]> {
  const grouper = new PatternGrouper();
  await forEachSliced(
    entries,
    (e) => {
      const r = redact(e.message);
      s.redactions += r.count;
      grouper.add(r.text, e.tsUs);
    },
    options,
  );
  return grouper.groups().map((g) => ({
    template: clipString(g.template, EXAMPLE_CHARS),
    count: g.count,
    firstAt: isoOfUs(g.firstUs),
    lastAt: isoOfUs(g.lastUs),
    example: clipString(g.example, EXAMPLE_CHARS),
  }));
}

export interface LogSearch {
  result: JournalResult;
  base: Omit<LogsData, 'entries' | 'facets' | 'patterns' | 'patternCount' | 'redactions'>;
  assessments: Assessment[];
}

/** Runs the query and the fields every mode shares. */
export async function runLogSearch(services: Services, mode: LogMode, q: JournalQuery, options: QueryOptions = {}): Promise<LogSearch> {
  const result = await queryJournal(services, q, options);
  const loc = locateJournal(services);
  const scanned = result.entries;
  let totalMatched = result.matched;
  let totalIsLowerBound = result.scanLimited;
  if (result.available && result.scanLimited && result.stopped !== 'timeout' && result.stopped !== 'aborted' && q.grep === undefined) {
    const c = await countJournal(services, q, options);
    if (c.count !== null && c.count >= result.matched) {
      totalMatched = c.count;
      totalIsLowerBound = c.atLeast;
    } else if (c.warning) result.warnings.push(c.warning);
  }
  const base = {
    available: result.available,
    mode,
    journal: loc.directory ?? 'system',
    totalMatched,
    totalIsLowerBound,
    scannedCount: result.scanned,
    maxScan: q.maxScan ?? DEFAULT_SCAN,
    scanLimited: result.scanLimited,
    newestAt: scanned.length > 0 ? scanned[0]!.ts : null,
    oldestAt: scanned.length > 0 ? scanned[scanned.length - 1]!.ts : null,
  };
  const assessments = result.available ? [] : [unknownAssessment('logs', 'logs.unavailable', `journal not readable: ${result.reason ?? 'unknown reason'}`)];
  return { result, base, assessments };
}
