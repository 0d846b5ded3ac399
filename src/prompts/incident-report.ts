import { realCalendarDay } from '../util/time-arg.js';
import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';
import { enumArgument } from '../definitions/enum-argument.js';
import { HostlensError } from '../contracts/errors.js';
import type { Services } from '../definitions/host-services.js';
import { formatFigure, headlineFigures } from '../snapshots/figures.js';
import { diffSnapshots } from '../snapshots/diff.js';
import { completeSnapshotIds, lookupSnapshot } from '../snapshots/lookup.js';
import type { SnapshotBundle } from '../snapshots/store.js';
import { bundleForReader } from '../definitions/snapshot-view.js';
import type { Reader } from '../contracts/reader.js';
import { EVERY_SCOPE } from '../definitions/reader-scope.js';
import { EVIDENCE_RULES, oneLine } from './playbook.js';
import { ifKnown } from '../util/missing.js';

const SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
const SEVERITY_MEANING: Record<(typeof SEVERITIES)[number], string> = {
  sev1: 'critical: outage or data loss for many users',
  sev2: 'major: significant degradation or a key feature down',
  sev3: 'minor: limited impact, workaround available',
  sev4: 'low: no user impact (near miss, internal only)',
};
/** Also "2", "Sev 2", "SEV-2", "Severity 2" and any case: people type severities as they say them. */
const severityArg = enumArgument('severity', SEVERITIES, {
  aliases: Object.fromEntries(SEVERITIES.flatMap((s) => [s.slice(3), `severity ${s.slice(3)}`].map((alias) => [alias, s]))),
  hint: 'sev1 = critical … sev4 = low',
});
/** Snapshots embedded in one report. */
const MAX_REPORT_SNAPSHOTS = 5;
const FINDINGS_PER_SNAPSHOT = 10;
const CHANGES_SHOWN = 12;
/** Upper bound of the prompt text (characters). */
const MAX_TEXT = 24_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const timestamp = (what: string) =>
  z
    .string()
    .max(40)
    .regex(RFC3339, `${what} must be an RFC 3339 timestamp such as 2026-05-04T13:20:00Z`)
    .refine((v) => Number.isFinite(Date.parse(v)) && realCalendarDay(v), `${what} is not a valid date`);

export const incidentReportPrompt = definePrompt({
  name: 'incident_report',
  title: 'Post-incident report',
  description: `Drafts a post-incident report (timeline, impact, evidence, root-cause hypothesis with confidence, remediation, follow-ups) grounded in evidence snapshots: the key figures and findings of the snapshots named in snapshotIds are embedded, with units. Without snapshots it asks to capture one first. severity: ${SEVERITIES.join(', ')}.`,
  args: z.object({
    startedAt: timestamp('startedAt').describe('when the incident started (RFC 3339, e.g. 2026-05-04T13:20:00Z)'),
    endedAt: timestamp('endedAt').optional().describe('when it ended (RFC 3339); omit while it is ongoing'),
    severity: severityArg.schema.describe(`incident severity: ${SEVERITIES.map((s) => `${s} = ${SEVERITY_MEANING[s]}`).join('; ')}`),
    summary: z.string().max(500).optional().describe('one or two sentences on what happened, as known so far'),
    snapshotIds: z
      .string()
      .max(300)
      .regex(/^\s*[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*\s*$/, 'snapshotIds must be snapshot ids separated by commas, e.g. snap_abc,snap_def')
      .optional()
      .describe(`comma-separated capture_snapshot ids (or "latest", "previous"), at most ${MAX_REPORT_SNAPSHOTS}; completion offers the stored ones`),
  }),
  complete: {
    severity: (value) => severityArg.complete(value),
    snapshotIds: (value, services) => {
      // Complete the last id of the list, keeping the ones before it.
      const cut = value.lastIndexOf(',') + 1;
      const head = value.slice(0, cut);
      const done = new Set(head.split(',').map((s) => s.trim()));
      return completeSnapshotIds(services.snapshots, value.slice(cut).trim())
        .filter((id) => !done.has(id))
        .map((id) => `${head}${id}`);
    },
  },
  completeFrom: { severity: null, snapshotIds: 'capture_snapshot' },
  build(args, services, reader = EVERY_SCOPE) {
    if (args.endedAt !== undefined && Date.parse(args.endedAt) < Date.parse(args.startedAt)) {
      throw new HostlensError('invalid_argument', `endedAt (${args.endedAt}) is before startedAt (${args.startedAt})`);
    }
    const snapshots = resolveSnapshots(args.snapshotIds, services, reader);
    const window = `${args.startedAt} → ${args.endedAt ?? 'ongoing'}`;
    const intro = [
      `Write a post-incident report for this host (${services.hostId}). Severity ${args.severity} (${SEVERITY_MEANING[args.severity]}). Incident window: ${window}.`,
      args.summary ? `Summary so far: "${oneLine(args.summary, 500)}".` : 'No summary was given: derive it from the evidence.',
    ];
    const evidence =
      snapshots.length === 0
        ? [
            'No snapshots were given. Before writing, call capture_snapshot (with a label such as "incident") to record the current state, and read diag://local/overview for the last triage; then use the snapshot figures as the evidence. If the incident is over, say that the snapshot shows the state after it.',
          ]
        : ['Evidence from the captured snapshots (read diag://snapshots/<id> for the full bundle):', '', ...snapshots.flatMap(describeSnapshot), ...describeChange(snapshots)];
    const sections = [
      'Structure the report in these sections:',
      '1. Timeline — UTC timestamps: start, detection, each snapshot capture (capturedAt), mitigation, end.',
      '2. Impact — what was affected and for how long; say what is unknown.',
      '3. Evidence — the figures with units and windows, each citing its snapshot id (e.g. "memory.availablePct 2.6% in snap_…"); findings with their status.',
      '4. Root-cause hypothesis — the most likely cause, the evidence for and against it, and a confidence (high / medium / low) with why.',
      '5. Remediation — what was done or should be done now; safe steps only (see the diag://runbooks/{topic} runbooks).',
      '6. Follow-ups — preventive actions, alerts and thresholds to add, each with an owner placeholder.',
    ];
    const text = [...intro, '', ...evidence, '', ...sections, '', EVIDENCE_RULES].join('\n');
    return [{ role: 'user', text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…[+${text.length - MAX_TEXT} chars]` : text }];
  },
});

/** The named snapshots as the reader may see them (sections beyond its scopes withheld). */
function resolveSnapshots(list: string | undefined, services: Services, reader: Reader): SnapshotBundle[] {
  if (list === undefined || list.trim() === '') return [];
  const refs = [...new Set(list.split(',').map((s) => s.trim()).filter(Boolean))];
  if (refs.length > MAX_REPORT_SNAPSHOTS) throw new HostlensError('invalid_argument', `snapshotIds: at most ${MAX_REPORT_SNAPSHOTS} snapshots per report (got ${refs.length})`);
  const bundles = refs.map((ref) => lookupSnapshot(services.snapshots, ref, (m) => new HostlensError('invalid_argument', `snapshotIds: ${m}`)));
  const unique = [...new Map(bundles.map((b) => [b.id, bundleForReader(b, reader)])).values()];
  return unique.sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt));
}

function describeSnapshot(b: SnapshotBundle): string[] {
  const figures = headlineFigures(b).map((f) => `  - ${f.path}: ${formatFigure(f.value, f.unit)}`);
  const findings = b.findings.slice(0, FINDINGS_PER_SNAPSHOT).map((f) => `  - [${f.status}] ${f.code}: ${f.message}`);
  return [
    `### ${b.id}${b.label ? ` "${oneLine(b.label, 80)}"` : ''} — captured ${b.capturedAt}, overall ${b.overall}${ifKnown(b.windowSec, (w) => `, rates over ${w} s`)}`,
    ...withheldNote(b),
    '- Key figures:',
    ...(figures.length ? figures : ['  - (none measured)']),
    `- Findings (${b.findings.length}${b.findings.length > FINDINGS_PER_SNAPSHOT ? `, worst ${FINDINGS_PER_SNAPSHOT} shown` : ''}):`,
    ...(findings.length ? findings : ['  - none (all assessments ok)']),
    '',
  ];
}

function withheldNote(b: SnapshotBundle): string[] {
  const w = Object.entries(b.sections).filter(([, s]) => s.withheld);
  return w.length === 0 ? [] : [`- Withheld from this report (beyond your scopes): ${w.map(([n, s]) => `${n} (needs ${s.requiredScope})`).join(', ')}`];
}

function describeChange(list: SnapshotBundle[]): string[] {
  const first = list[0];
  const last = list[list.length - 1];
  if (!first || !last || first === last) return [];
  const d = diffSnapshots(first, last);
  return [
    `Change from ${first.id} to ${last.id} (${d.elapsedSec} s apart), most significant first:`,
    ...d.changed.slice(0, CHANGES_SHOWN).map((c) => `  - ${c.path}: ${formatFigure(c.before, c.unit)} → ${formatFigure(c.after, c.unit)}`),
    ...d.newFindings.slice(0, 5).map((f) => `  - new finding [${f.status}] ${f.message}`),
    ...d.resolvedFindings.slice(0, 5).map((f) => `  - resolved [${f.status}] ${f.message}`),
    '',
  ];
}
