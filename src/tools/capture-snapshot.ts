import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { ToolError } from '../contracts/errors.js';
import { STATUSES } from '../contracts/assessment.js';
import { captureBundle } from '../snapshots/capture.js';
import { SnapshotTooLarge } from '../snapshots/store.js';
import { bundleForReader } from '../definitions/snapshot-view.js';
import { EVERY_SCOPE } from '../definitions/reader-scope.js';
import { fmtBytes, lines, windowSecField } from './common.js';

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
  .describe('a short name for this capture, e.g. "before restart" or "during incident" (≤ 80 printable characters)');

export const captureSnapshot = defineTool({
  name: 'capture_snapshot',
  title: 'Capture an evidence snapshot',
  description:
    'Runs the standard health sweep (triage, CPU, memory, filesystems, disk I/O, network, PSI pressure, limits, top 10 processes by CPU and by memory) and stores it as an evidence bundle in memory, readable as the resource diag://snapshots/{id} (a resource_link is returned). Use it at the start of an investigation, before and after a change (then compare with diff_snapshots), and to ground an incident_report in figures. Returns the snapshotId, the overall status and the top 10 findings. Rates are over windowSec (the 1 Hz sampler ≈ 1 s by default; 0.2–10 s for a fresh measurement). The store keeps the newest 20 snapshots / 4 MiB of JSON: the oldest are evicted first and `evicted` lists them. Snapshots do not survive a restart.',
  toolset: 'core',
  annotations: { idempotentHint: false },
  input: z.object({ label: labelField, windowSec: windowSecField }).strict(),
  data: z.object({
    snapshotId: z.string(),
    resourceUri: z.string().describe('diag://snapshots/<id>: read it for the whole bundle (JSON)'),
    label: z.string().nullable(),
    capturedAt: z.string(),
    sizeBytes: z.number().int().describe('size of the stored bundle (JSON bytes); rounded up to a KiB when sizeExact is false'),
    sizeExact: z.boolean().describe('false when part of the store is withheld from this caller: exact byte counts of content it may not read are never given'),
    summary: z.object({
      overall: status,
      findingCount: z.number().int(),
      findings: z.array(findingSchema).describe('worst first, at most 10 (the bundle holds all)'),
      failedSections: z.array(z.string()).describe('sections that could not be captured (see warnings)'),
      withheldSections: z
        .array(z.object({ section: z.string(), requiredScope: z.string() }))
        .describe('sections stored but not shown to this caller (nor to any reader without requiredScope): their findings are left out too'),
    }),
    stored: z.object({ count: z.number().int(), bytes: z.number().int(), maxCount: z.number().int(), maxBytes: z.number().int() }),
    evicted: z.array(z.object({ id: z.string(), label: z.string().nullable(), capturedAt: z.string() })).describe('older snapshots removed to make room'),
  }),
  async handler({ label, windowSec }, { services, signal, progress, served, reader = EVERY_SCOPE }) {
    const captured = await captureBundle(services, { servedTools: served, label: label ?? null, ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    let added;
    try {
      added = services.snapshots.add(captured);
    } catch (error) {
      if (error instanceof SnapshotTooLarge) throw new ToolError(`capture_snapshot: ${error.message}; nothing was stored`);
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
      `snapshot ${d.snapshotId}${d.label ? ` "${d.label}"` : ''} captured ${d.capturedAt} (window ${windowSec ?? '?'} s), ${fmtBytes(d.sizeBytes)}: ${d.resourceUri}`,
      `overall: ${d.summary.overall.toUpperCase()}, ${d.summary.findingCount} finding(s)`,
      ...d.summary.findings.map((f) => `- [${f.status}] ${f.message}`),
      d.summary.failedSections.length > 0 && `not captured: ${d.summary.failedSections.join(', ')}`,
      d.summary.withheldSections.length > 0 && `withheld: ${d.summary.withheldSections.map((w) => `${w.section} (needs ${w.requiredScope})`).join(', ')}`,
      `store: ${d.stored.count}/${d.stored.maxCount} snapshots, ${fmtBytes(d.stored.bytes)} of ${fmtBytes(d.stored.maxBytes)}`,
      d.evicted.length > 0 && `evicted: ${d.evicted.map((e) => `${e.id}${e.label ? ` "${e.label}"` : ''} (${e.capturedAt})`).join(', ')}`,
    );
  },
});
