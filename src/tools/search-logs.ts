import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { MAX_GREP_CHARS, MAX_SCAN, MAX_UNITS } from '../collectors/journal.js';
import type { JournalEntry } from '../collectors/journal.js';
import { EntryWindow, FacetCounter, LOG_MODES, PatternCollector, Scrubber, entryOut, logsDataSchema, runLogSearch } from '../diagnostics/logs.js';
import type { LogsData } from '../diagnostics/logs.js';
import { lines, renderAssessments } from './common.js';
import { show } from '../util/missing.js';
import { cursorField, decodeCursor, pageOfWindow, paginate } from './paging.js';

const timeText = (what: string) =>
  z.string().min(1).max(64).describe(`${what}: "now", "-15m", "-2h" or RFC 3339`);

export const searchLogs = defineTool({
  name: 'search_logs',
  title: 'Search the journal (journald)',
  description:
    'Query the systemd journal (journalctl, read-only, bounded): since/until (default the last hour), units, priority ("err" = err and worse; "warning..err" a range), identifier, kernel (kernel messages only; add boot 0 for the current boot), boot, grep (case-insensitive LITERAL text, not a regex). mode "entries": newest first, paged (keep until fixed to continue); "facets": counts by unit, priority and identifier, use it first on a busy journal; "patterns": messages grouped into templates (numbers, ids, IPs, paths masked) with count, firstAt, lastAt and an example, to see which errors repeat. Only the newest maxScan entries are read (scanLimited says so); totalMatched is still the true count in since..until (counted apart, ≤ 200,000; with grep only within the scan: totalIsLowerBound). Secrets in messages are redacted. available: false = no journal here (journald not running).',
  toolset: 'logs',
  input: z
    .object({
      mode: z.enum(LOG_MODES).optional().describe('default entries'),
      since: timeText('start').optional().describe('start (default "-1h"; none with until): "now", "-15m", "-2h" or RFC 3339'),
      until: timeText('end').optional(),
      units: z.array(z.string().min(1).max(256)).min(1).max(MAX_UNITS).optional().describe('systemd units (e.g. "nginx.service"; globs * ? allowed); any of them'),
      priority: z.string().min(1).max(32).optional().describe('"err" = emerg..err; a range "warning..err"; names emerg alert crit err warning notice info debug or 0–7'),
      identifier: z.string().min(1).max(128).optional().describe('SYSLOG_IDENTIFIER, e.g. "sshd", "kernel"'),
      grep: z.string().min(1).max(MAX_GREP_CHARS).optional().describe('case-insensitive literal substring (no regex)'),
      kernel: z.boolean().optional().describe('only kernel messages (does not imply a boot; add boot 0)'),
      boot: z.union([z.number().int().min(-99).max(0), z.string().min(1).max(36)]).optional().describe('0 = newest boot in the journal, -1 the previous, or a 32-hex boot id'),
      maxScan: z.number().int().min(1).max(MAX_SCAN).optional().describe('newest entries to read (default 5000)'),
      limit: z.number().int().min(1).max(200).optional().describe('entries or patterns per page (default 50 entries, 20 patterns)'),
      cursor: cursorField,
    })
    .strict(),
  data: logsDataSchema,
  async handler(args, { services, signal }) {
    const { cursor, limit, mode: m, ...filters } = args;
    const mode = m ?? 'entries';
    // the last hour by default; with only `until`, everything before it (the scan bound still applies)
    const q = filters.since === undefined && filters.until === undefined ? { ...filters, since: '-1h' } : filters;
    const query = { mode, ...q };
    const s = new Scrubber();
    // each mode keeps only what it returns while the journal streams by: counters, templates, or the page
    const facets = mode === 'facets' ? new FacetCounter() : null;
    const patterns = mode === 'patterns' ? new PatternCollector(s) : null;
    const offset = mode === 'entries' ? decodeCursor(cursor, query) : 0;
    const kept = new EntryWindow(offset, mode === 'entries' ? (limit ?? 50) : 0);
    const sink = facets ? (e: JournalEntry) => facets.add(e) : patterns ? (e: JournalEntry) => patterns.add(e) : (e: JournalEntry) => kept.add(e);
    const { result, base, assessments } = await runLogSearch(services, mode, q, sink, { signal });
    const warnings = [...result.warnings];
    if (result.scanLimited) {
      warnings.push(
        `the scan stopped after the newest ${result.scanned} entries (maxScan ${base.maxScan}): ${mode} cover only those, of ${base.totalMatched}${base.totalIsLowerBound ? '+' : ''} matching; narrow since/units/priority or raise maxScan`,
      );
    }
    if (facets) return { data: { ...base, facets: facets.facets(s), redactions: s.redactions }, assessments, warnings };
    if (patterns) {
      const all = patterns.patterns();
      const p = paginate(all, { limit: limit ?? 20, cursor, query });
      const data: LogsData = { ...base, patterns: p.items, patternCount: all.length, redactions: s.redactions };
      return { data, assessments, warnings, ...(p.truncated ? { truncated: p.truncated } : {}), page: { field: 'patterns', ...p.page } };
    }
    const p = pageOfWindow(kept.items, result.matched, offset, query);
    const entries = p.items.map((e) => entryOut(e, s));
    const data: LogsData = { ...base, entries, redactions: s.redactions };
    return { data, assessments, warnings, ...(p.truncated ? { truncated: p.truncated } : {}), page: { field: 'entries', ...p.page } };
  },
  render({ data: d, assessments }) {
    const head = d.available
      ? `journal ${d.journal}: ${d.totalMatched}${d.totalIsLowerBound ? '+' : ''} matching of ${d.scannedCount} scanned${d.oldestAt === null && d.newestAt === null ? '' : ` (${show(d.oldestAt)} … ${show(d.newestAt)})`}; ${d.redactions} redaction(s)`
      : 'journal not available here';
    const body =
      d.mode === 'facets' && d.facets
        ? ['unit', 'priority', 'identifier'].map((k) => `${k}: ${Object.entries(d.facets![k as 'unit']).map(([v, n]) => `${v} ${n}`).join(', ')}`)
        : d.mode === 'patterns'
          ? (d.patterns ?? []).map((p) => `${p.count}× ${p.template} (${p.firstAt} … ${p.lastAt})`)
          : (d.entries ?? []).map((e) => `${e.ts} ${e.priority ?? '-'} ${e.unit ?? e.identifier ?? '-'}[${e.pid ?? ''}]: ${e.message}`);
    return lines(head, ...body, renderAssessments(assessments));
  },
});
