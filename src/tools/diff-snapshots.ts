import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { STATUSES } from '../contracts/assessment.js';
import { formatFigure } from '../snapshots/figures.js';
import { diffSnapshots } from '../snapshots/diff.js';
import { lookupSnapshot } from '../snapshots/lookup.js';
import { bundleForReader } from '../definitions/snapshot-view.js';
import { EVERY_SCOPE } from '../definitions/reader-scope.js';
import { snapshotFindingSchema } from './capture-snapshot.js';
import { lines } from './common.js';
import { cursorField, paginate } from './paging.js';

const status = z.enum(STATUSES);
/** Cap on newFindings, resolvedFindings and statusChanges each (keeps the result within the result budget). */
const MAX_LISTED = 40;
const ref = (which: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .describe(`${which} snapshot: an id (snap_…), "latest" or "previous" (the one before it)`);
const side = z.object({ id: z.string(), label: z.string().nullable(), capturedAt: z.string(), overall: status });

export const diffSnapshotsTool = defineTool({
  name: 'diff_snapshots',
  title: 'Compare two snapshots',
  description:
    'Before/after comparison of two evidence bundles from capture_snapshot (a = before, b = after): every figure that changed, as changed[{path, before, after, delta, changePct, unit}] (paths like memory.availableBytes, filesystems./var.usedPct, disks.nvme0n1.utilPct), ranked by significance (percentages by points moved, others by relative change; figures with a health threshold first); findings that appeared (newFindings) or went away (resolvedFindings); assessments whose status changed; elapsedSec between the captures. Use it to verify a fix, see what an incident changed, or estimate growth (delta / elapsedSec).',
  toolset: 'history',
  input: z
    .object({
      a: ref('the earlier ("before")'),
      b: ref('the later ("after")'),
      limit: z.number().int().min(1).max(100).default(50).describe('changed figures per page, most significant first'),
      cursor: cursorField,
    })
    .strict(),
  examples: [{ args: { a: 'latest', b: 'latest' }, why: 'needs a stored snapshot: call capture_snapshot first, else a tool error says none is stored' }],
  data: z.object({
    a: side,
    b: side,
    /** b.capturedAt − a.capturedAt (negative when b is older) */
    elapsedSec: z.number(),
    changed: z.array(
      z.object({
        path: z.string(),
        before: z.number().nullable(),
        after: z.number().nullable(),
        /** after − before; null when one side is unknown */
        delta: z.number().nullable(),
        /** delta relative to before, %; null when before is 0 or unknown */
        changePct: z.number().nullable(),
        unit: z.string(),
      }),
    ),
    /** figures that changed in all (changed is one page of them) */
    changedTotal: z.number().int(),
    /** warning/critical in b but not in a (at most MAX_LISTED, worst first) */
    newFindings: z.array(snapshotFindingSchema),
    /** warning/critical in a but not in b (at most MAX_LISTED) */
    resolvedFindings: z.array(snapshotFindingSchema),
    /** assessments judged in both with a different status (at most MAX_LISTED); subject: what was judged, e.g. "Space used on /var" */
    statusChanges: z.array(z.object({ code: z.string(), subject: z.string().nullable(), before: status, after: status })),
  }),
  async handler({ a, b, limit, cursor }, { services, reader = EVERY_SCOPE }) {
    const store = services.snapshots;
    // Both sides as this reader may see them: a withheld section contributes no figure, finding or status.
    const before = bundleForReader(lookupSnapshot(store, a, (m) => new HostlensError('invalid_argument', `a: ${m}`)), reader);
    const after = bundleForReader(lookupSnapshot(store, b, (m) => new HostlensError('invalid_argument', `b: ${m}`)), reader);
    const d = diffSnapshots(before, after);
    const r = paginate(d.changed, { limit, cursor, query: { a: before.id, b: after.id } });
    const meta = (x: typeof before) => ({ id: x.id, label: x.label, capturedAt: x.capturedAt, overall: x.overall });
    const warnings: string[] = [];
    const capped = <T>(what: string, list: T[]): T[] => {
      if (list.length > MAX_LISTED) warnings.push(`${what}: ${list.length}, only the first ${MAX_LISTED} are listed`);
      return list.slice(0, MAX_LISTED);
    };
    return {
      data: {
        a: meta(before),
        b: meta(after),
        elapsedSec: d.elapsedSec,
        changed: r.items.map(({ significance: _s, ...c }) => c),
        changedTotal: d.changed.length,
        newFindings: capped('newFindings', d.newFindings).map(({ section: _s, ...f }) => f),
        resolvedFindings: capped('resolvedFindings', d.resolvedFindings).map(({ section: _s, ...f }) => f),
        statusChanges: capped('statusChanges', d.statusChanges),
      },
      warnings,
      page: { field: 'changed', ...r.page },
      ...(r.truncated ? { truncated: r.truncated } : {}),
    };
  },
  render({ data: d, truncated }) {
    return lines(
      `${d.a.id} (${d.a.overall}) → ${d.b.id} (${d.b.overall}), ${d.elapsedSec} s apart; ${d.changedTotal} figure(s) changed${truncated ? `, showing ${truncated.returned}` : ''}`,
      ...d.changed.map((c) => `- ${c.path}: ${formatFigure(c.before, c.unit)} → ${formatFigure(c.after, c.unit)}${c.changePct !== null ? ` (${c.changePct > 0 ? '+' : ''}${c.changePct}%)` : ''}`),
      d.newFindings.length > 0 && `new findings:\n${d.newFindings.map((f) => `- [${f.status}] ${f.message}`).join('\n')}`,
      d.resolvedFindings.length > 0 && `resolved:\n${d.resolvedFindings.map((f) => `- [${f.status}] ${f.message}`).join('\n')}`,
      d.statusChanges.length > 0 && `status changes: ${d.statusChanges.map((s) => `${s.code}${s.subject ? ` (${s.subject})` : ''} ${s.before}→${s.after}`).join('; ')}`,
    );
  },
});
