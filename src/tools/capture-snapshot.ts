import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError, isHostlensError } from '../contracts/errors.js';
import { STATUSES } from '../contracts/assessment.js';
import { captureBundle } from '../snapshots/capture.js';
import { bundleForReader } from '../definitions/snapshot-view.js';
import { EVERY_SCOPE } from '../definitions/reader-scope.js';
import { fmtBytes, lines, windowSecField } from './common.js';
import { ifKnown } from '../util/missing.js';

const SNAPSHOT_URI_PREFIX = 'diag://snapshots/';
const SUMMARY_FINDINGS = 10;

const status = z.enum(STATUSES);
const findingSchema = z.object({
  code: z.string(),
  status,
  area: z.string(),
  message: z.string(),
  value: z.number().nullable(),
  unit: z.string(),
});
export { findingSchema as snapshotFindingSchema };

/** Labels are shown to people and agents: printable text only (no control or format characters). */
const labelField = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[^\p{C}]+$/u, 'label must be printable text (no control characters)')
  .optional()
  .describe('a short name, e.g. "before restart"');

export const captureSnapshot = defineTool({
  name: 'capture_snapshot',
  title: 'Capture an evidence snapshot',
  description:
    'Runs the standard sweep (triage, CPU, memory, filesystems, disk I/O, network, PSI, limits, top 10 processes by CPU and by memory) and stores it as an evidence bundle in memory, read as diag://snapshots/{id} (a resource_link is returned). Use it at the start of an investigation, before and after a change (compare with diff_snapshots), and to ground an incident_report in figures. Returns snapshotId, the overall status and the top 10 findings. The store keeps the newest 20 snapshots / 4 MiB of JSON, evicting the oldest (listed in `evicted`); lost on restart.',
  toolset: 'core',
  annotations: { idempotentHint: false },
  input: z.object({ label: labelField, windowSec: windowSecField }).strict(),
  data: z.object({
    snapshotId: z.string(),
    /** diag://snapshots/<id>: read it for the whole bundle (JSON) */
    resourceUri: z.string(),
    label: z.string().nullable(),
    capturedAt: z.string(),
    /** size of the stored bundle (JSON bytes); rounded up to a KiB when sizeExact is false */
    sizeBytes: z.number().int(),
    /** false when part of the store is withheld from this caller: exact byte counts of content it may not read are never given */
    sizeExact: z.boolean(),
    summary: z.object({
      overall: status,
      findingCount: z.number().int(),
      /** worst first, at most 10 (the bundle holds all) */
      findings: z.array(findingSchema),
      /** sections that could not be captured (see warnings) */
      failedSections: z.array(z.string()),
      /** sections stored but not shown to this caller (nor to any reader without requiredScope): their findings are left out too */
      withheldSections: z
        .array(z.object({ section: z.string(), requiredScope: z.string() })),
    }),
    stored: z.object({ count: z.number().int(), bytes: z.number().int(), maxCount: z.number().int(), maxBytes: z.number().int() }),
    /** older snapshots removed to make room */
    evicted: z.array(z.object({ id: z.string(), label: z.string().nullable(), capturedAt: z.string() })),
  }),
  async handler({ label, windowSec }, { services, signal, progress, served, reader = EVERY_SCOPE }) {
    const captured = await captureBundle(services, { servedTools: served, label: label ?? null, ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    let added;
    try {
      added = services.snapshots.add(captured);
    } catch (error) {
      if (isHostlensError(error, 'too_large')) throw new HostlensError('too_large', `capture_snapshot: ${error.message}; nothing was stored`, { cause: error });
      throw error;
    }
    const id = added.meta.id;
    // The whole sweep is stored; the caller is shown only what its scopes reach, like any later reader.
    const bundle = bundleForReader({ id, ...captured }, reader);
    const uri = `${SNAPSHOT_URI_PREFIX}${id}`;
    const warnings = [...bundle.warnings];
    // An exact size of a bundle (or a store) holding withheld sections measures content this caller may not read
    // (the length of redacted command lines, say): rounded to a KiB, like get_config beside redacted content.
    const exact = Object.values(bundle.sections).every((s) => !s.withheld);
    const shown = (bytes: number): number => (exact ? bytes : Math.ceil(bytes / 1024) * 1024);
    if (added.evicted.length > 0) {
      warnings.push(`the snapshot store was full (${added.stored.maxCount} snapshots / ${added.stored.maxBytes} bytes): evicted the oldest ${added.evicted.map((e) => e.id).join(', ')}`);
    }
    return {
      data: {
        snapshotId: id,
        resourceUri: uri,
        label: bundle.label,
        capturedAt: bundle.capturedAt,
        sizeBytes: shown(added.meta.sizeBytes),
        sizeExact: exact,
        summary: {
          overall: bundle.overall,
          findingCount: bundle.findings.length,
          findings: bundle.findings.slice(0, SUMMARY_FINDINGS).map(({ section: _s, ...f }) => f),
          failedSections: Object.entries(bundle.sections).filter(([, s]) => s.error !== undefined).map(([n]) => n),
          withheldSections: Object.entries(bundle.sections).filter(([, s]) => s.withheld).map(([n, s]) => ({ section: n, requiredScope: s.requiredScope ?? '' })),
        },
        stored: { ...added.stored, bytes: shown(added.stored.bytes) },
        evicted: added.evicted,
      },
      ...(bundle.windowSec !== null ? { windowSec: bundle.windowSec } : {}),
      links: [
        {
          uri,
          name: id,
          ...(bundle.label ? { title: bundle.label } : {}),
          mimeType: 'application/json',
          description: `Evidence bundle captured ${bundle.capturedAt}${bundle.label ? ` ("${bundle.label}")` : ''}: overall ${bundle.overall}, ${bundle.findings.length} finding(s)`,
        },
      ],
      warnings,
    };
  },
  render({ data: d, windowSec }) {
    return lines(
      `snapshot ${d.snapshotId}${d.label ? ` "${d.label}"` : ''} captured ${d.capturedAt}${ifKnown(windowSec, (w) => ` (window ${w} s)`)}, ${fmtBytes(d.sizeBytes)}: ${d.resourceUri}`,
      `overall: ${d.summary.overall.toUpperCase()}, ${d.summary.findingCount} finding(s)`,
      ...d.summary.findings.map((f) => `- [${f.status}] ${f.message}`),
      d.summary.failedSections.length > 0 && `not captured: ${d.summary.failedSections.join(', ')}`,
      d.summary.withheldSections.length > 0 && `withheld: ${d.summary.withheldSections.map((w) => `${w.section} (needs ${w.requiredScope})`).join(', ')}`,
      `store: ${d.stored.count}/${d.stored.maxCount} snapshots, ${fmtBytes(d.stored.bytes)} of ${fmtBytes(d.stored.maxBytes)}`,
      d.evicted.length > 0 && `evicted: ${d.evicted.map((e) => `${e.id}${e.label ? ` "${e.label}"` : ''} (${e.capturedAt})`).join(', ')}`,
    );
  },
});
