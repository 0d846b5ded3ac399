/**
 * Shared pieces of the area playbook prompts (investigate_*, capacity_review):
 * one layout — goal, numbered steps naming tools with arguments and the fields
 * to read, the matching runbook, and the evidence rules every report follows.
 */
import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';
import { runbookUri } from '../runbooks/index.js';

export const symptomArg = z.string().max(200).optional().describe('what the user observed, in their words (optional)');

export const EVIDENCE_RULES =
  'Rules: quote figures with their units and measurement window (windowSec in each result), e.g. "busy 97% over 5 s"; never present a since-boot average as current; do not guess values no tool returned — say what could not be measured. Tools marked "if enabled" belong to toolsets that may be off: skip them when they are not listed.';

interface PlaybookSpec {
  goal: string;
  symptom?: string | undefined;
  steps: string[];
  conclude: string;
  runbook: string;
}

/** Free text from an argument, on one line and clipped. */
export function oneLine(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

export function playbookText(spec: PlaybookSpec): string {
  return [
    spec.goal,
    spec.symptom ? `The reported symptom is: "${oneLine(spec.symptom)}".` : '',
    `Read the runbook ${runbookUri(spec.runbook)} (resources/read) for thresholds, interpretation and safe remediation.`,
    '',
    ...spec.steps.map((s, i) => `${i + 1}. ${s}`),
    '',
    spec.conclude,
    '',
    EVIDENCE_RULES,
  ]
    .filter((line, i, all) => !(line === '' && all[i - 1] === ''))
    .join('\n');
}

/** An area playbook prompt with one optional `symptom` argument. */
export function definePlaybook(spec: { name: string; title: string; description: string } & Omit<PlaybookSpec, 'symptom'>) {
  return definePrompt({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    args: z.object({ symptom: symptomArg }),
    build: ({ symptom }) => [{ role: 'user', text: playbookText({ ...spec, symptom }) }],
  });
}
