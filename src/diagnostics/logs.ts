/**
 * search_logs: one bounded journal query (collectors/journal.ts) shaped as entries, facets or patterns.
 * Every string taken from the journal passes through redact() and clipString before it is returned.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { DEFAULT_SCAN, PRIORITY_NAMES, countJournal, locateJournal, scanJournal } from '../collectors/journal.js';
import type { JournalEntry, JournalField, JournalQuery, JournalScan, QueryOptions } from '../collectors/journal.js';
import { clipString } from '../collectors/read.js';
import { unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { PatternGrouper } from './log-patterns.js';
import { redact } from '../redaction/redact.js';

export const LOG_MODES = ['entries', 'facets', 'patterns'] as const;
type LogMode = (typeof LOG_MODES)[number];
const MESSAGE_CHARS = 1000;
const EXAMPLE_CHARS = 500;
const FACET_TOP = 20;

/** RFC 3339 UTC */
const ts = z.string();
const entrySchema = z.object({
  /** RFC 3339 UTC, microseconds */
  ts: ts,
  /** syslog priority name (emerg=0 … debug=7) */
  priority: z.enum(PRIORITY_NAMES).nullable(),
  priorityLevel: z.number().int().min(0).max(7).nullable(),
  /** systemd unit (_SYSTEMD_UNIT or UNIT) */
  unit: z.string().nullable(),
  /** SYSLOG_IDENTIFIER (or _COMM) */
  identifier: z.string().nullable(),
  pid: z.number().int().nullable(),
  bootId: z.string().nullable(),
  /** kernel, syslog, journal, stdout, audit, driver */
  transport: z.string().nullable(),
  /** redacted; clipped with …[+N chars] */
  message: z.string(),
});
type LogEntryOut = z.infer<typeof entrySchema>;

/** top FACET_TOP values → entry count; "(none)" = field absent */
const facetSchema = z.record(z.string(), z.number().int());
const patternSchema = z.object({
  /** message with <n>, <hex>, <uuid>, <ip>, <mac>, <path> masks */
  template: z.string(),
  count: z.number().int(),
  firstAt: ts,
  lastAt: ts,
  /** the newest matching message (redacted, clipped) */
  example: z.string(),
});
type LogPatternOut = z.infer<typeof patternSchema>;

export const logsDataSchema = z.object({
  /** false: no journal to read here (journalctl missing or journald not storing logs); see warnings */
  available: z.boolean(),
  mode: z.enum(LOG_MODES),
  /** the journal read: a directory, or "system" */
  journal: z.string(),
  /** entries matching every filter, before paging: counted over the whole since..until range even when the scan was limited (up to 200,000), except with grep, which is applied to the scanned entries only */
  totalMatched: z
    .number()
    .int(),
  /** true: more entries may match than totalMatched (grep over a limited scan, or the count stopped at its bound) */
  totalIsLowerBound: z.boolean(),
  /** entries journalctl returned (newest first) before grep */
  scannedCount: z.number().int(),
  /** bound on entries scanned (--lines) */
  maxScan: z.number().int(),
  /** the scan stopped at maxScan or the output cap: entries, facets and patterns cover only the newest scannedCount entries */
  scanLimited: z.boolean(),
  /** newest matched entry */
  newestAt: ts.nullable(),
  /** oldest matched entry */
  oldestAt: ts.nullable(),
  /** secrets replaced by [REDACTED] in this result */
  redactions: z.number().int(),
  /** mode entries: newest first */
  entries: z.array(entrySchema).optional(),
  /** mode facets: counts over all matched entries */
  facets: z
    .object({ unit: facetSchema, priority: facetSchema, identifier: facetSchema, distinct: z.object({ unit: z.number().int(), priority: z.number().int(), identifier: z.number().int() }) })
    .optional(),
  /** mode patterns: ranked by count */
  patterns: z.array(patternSchema).optional(),
  /** distinct templates (mode patterns) */
  patternCount: z.number().int().optional(),
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

/** The facet field keys, and what journalctl must print for them (facets need no MESSAGE). */
const FACET_KEYS = {
  unit: (e: JournalEntry) => e.unit,
  priority: (e: JournalEntry) => e.priorityName,
  identifier: (e: JournalEntry) => e.identifier,
} as const;
const FACET_FIELDS: readonly JournalField[] = ['PRIORITY', '_SYSTEMD_UNIT', 'UNIT', 'SYSLOG_IDENTIFIER', '_COMM'];

/** Facet counts, one entry at a time: only the counters are kept. */
export class FacetCounter {
  private readonly counts = { unit: new Map<string, number>(), priority: new Map<string, number>(), identifier: new Map<string, number>() };

  add(e: JournalEntry): void {
    for (const k of ['unit', 'priority', 'identifier'] as const) {
      const v = FACET_KEYS[k](e) ?? '(none)';
      this.counts[k].set(v, (this.counts[k].get(v) ?? 0) + 1);
    }
  }

  facets(s: Scrubber): NonNullable<LogsData['facets']> {
    const top = (counts: Map<string, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, FACET_TOP)) out[s.text(k, 256)] = n;
      return out;
    };
    const { unit, priority, identifier } = this.counts;
    return { unit: top(unit), priority: top(priority), identifier: top(identifier), distinct: { unit: unit.size, priority: priority.size, identifier: identifier.size } };
  }
}

/**
 * Patterns over redacted messages (a secret never becomes part of a template), one entry at a time: only
 * the templates are kept (PatternGrouper bounds them). Redacting and templating cost ≈ 30–50 µs a message,
 * ≈ 1 s for 20,000, so `add` must run inside a sliced loop (the journal line stream is one).
 */
export class PatternCollector {
  private readonly grouper = new PatternGrouper();
  constructor(private readonly s: Scrubber) {}

  add(e: JournalEntry): void {
    const r = redact(e.message);
    this.s.redactions += r.count;
    this.grouper.add(r.text, e.tsUs);
  }

  patterns(): LogPatternOut[] {
    return this.grouper.groups().map((g) => ({
      template: clipString(g.template, EXAMPLE_CHARS),
      count: g.count,
      firstAt: isoOfUs(g.firstUs),
      lastAt: isoOfUs(g.lastUs),
      example: clipString(g.example, EXAMPLE_CHARS),
    }));
  }
}

/** Entries mode keeps only the page: the matching entries numbered offset … offset + limit - 1. */
export class EntryWindow {
  readonly items: JournalEntry[] = [];
  private seen = 0;
  constructor(
    private readonly offset: number,
    private readonly limit: number,
  ) {}

  add(e: JournalEntry): void {
    const i = this.seen++;
    if (i >= this.offset && i < this.offset + this.limit) this.items.push(e);
  }
}

interface LogSearch {
  result: JournalScan;
  base: Omit<LogsData, 'entries' | 'facets' | 'patterns' | 'patternCount' | 'redactions'>;
  assessments: Assessment[];
}

/** What each mode needs journalctl to print (grep adds MESSAGE). */
const MODE_FIELDS: Record<LogMode, readonly JournalField[] | undefined> = { entries: undefined, facets: FACET_FIELDS, patterns: ['MESSAGE'] };

/**
 * Runs the query, handing each matching entry (newest first) to `sink` as journalctl's output is parsed,
 * and computes the fields every mode shares.
 */
export async function runLogSearch(services: HostInputs, mode: LogMode, q: JournalQuery, sink: (e: JournalEntry) => void, options: QueryOptions = {}): Promise<LogSearch> {
  const fields = MODE_FIELDS[mode];
  const result = await scanJournal(services, q, sink, fields ? { ...options, fields } : options);
  const loc = locateJournal(services);
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
    newestAt: result.newestAt,
    oldestAt: result.oldestAt,
  };
  const assessments = result.available ? [] : [unknownAssessment('logs', 'logs.unavailable', `journal not readable: ${result.reason ?? 'unknown reason'}`)];
  return { result, base, assessments };
}
