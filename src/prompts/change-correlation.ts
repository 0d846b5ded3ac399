import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';
import { EVIDENCE_RULES, oneLine } from './playbook.js';

const SINCE_RE = /^(?:-\d{1,4}[mhd]|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))$/i;

export const changeCorrelationPrompt = definePrompt({
  name: 'change_correlation',
  title: 'Correlate changes with anomalies',
  description:
    'Did a change cause this? Lines up recent_changes (packages, config edits, unit restarts/failures, reboots, new listeners) against the metric history (get_history / detect_anomalies, history toolset) and evidence snapshots (capture_snapshot / diff_snapshots): a timeline, which change preceded which anomaly and by how long, and a confidence for each link.',
  args: z.object({
    since: z
      .string()
      .max(40)
      .regex(SINCE_RE, 'since must be relative like "-2h", "-1d", "-7d" or an RFC 3339 time such as 2026-05-04T13:20:00Z')
      .optional()
      .describe('start of the period to examine: relative ("-2h", "-1d", "-7d") or RFC 3339; default "-1d"'),
    symptom: z.string().max(200).optional().describe('what the user observed, in their words (optional)'),
  }),
  completeFrom: { since: null },
  complete: { since: (value) => ['-1h', '-6h', '-1d', '-7d', '-30d'].filter((s) => s.startsWith(value)) },
  build: ({ since, symptom }) => {
    const from = since ?? '-1d';
    return [
      {
        role: 'user',
        text: [
          `Find out whether a change on this host explains a problem that began after ${from}, using the hostlens tools.`,
          symptom ? `The reported symptom is: "${oneLine(symptom)}".` : '',
          '',
          `1. recent_changes with since "${from}" (page with nextCursor until done): note every change with its ts, kind, action, subject and detail. Read sources and warnings: a kind that is "unavailable" was NOT looked at — say so, do not read it as "nothing changed". watch.baselineAt is when config/listener watching began: edits before it show only as "content change not observed".`,
          '2. capture_snapshot with label "change-correlation: now" so the current state is kept as evidence. If enabled (history toolset) and an earlier snapshot exists (diag://snapshots): diff_snapshots a = the earlier one, b = this one, for what moved between them.',
          '3. If enabled (history toolset): detect_anomalies with window {"since": <the time the symptom began, or the earliest suspicious change>} to rank the metrics that moved (robustZ ≥ 3.5 is strong); then get_history for the top 3 metrics over a range that starts before the first change, to see when each one stepped.',
          '4. triage_host for the current findings; for a failing or restarting unit in the changes, list_services with state "failed" and, if enabled (logs toolset), get_service for its exit status and log tail; for a new listener, if enabled (network toolset), list_sockets with its port to see who holds it.',
          '5. Build ONE timeline, oldest first: changes (kind/action/subject) and anomaly onsets (metric, from → to with units), each with its timestamp.',
          '6. For each anomaly, name the change(s) that preceded it and the gap (minutes). Judge each link: high confidence when the change touches the affected component (e.g. an upgrade of the library the failing unit uses, an edit of its config) and the metric stepped within minutes after it; medium when only the timing fits; low when they are hours apart or unrelated. A change AFTER an anomaly began cannot be its cause.',
          '',
          'Conclude: the most likely causing change (or "no change explains it"), with the evidence for and against, what could not be checked (unavailable sources, history shorter than the range), and the safe next step (e.g. compare the config hash, roll back the package) — recommend, do not act.',
          '',
          EVIDENCE_RULES,
        ]
          .filter((line, i, all) => !(line === '' && all[i - 1] === ''))
          .join('\n'),
      },
    ];
  },
});
