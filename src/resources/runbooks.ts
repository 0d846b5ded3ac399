import { HostlensError } from '../contracts/errors.js';
import type { ResourceTemplateDefinition } from '../definitions/types.js';
import { RUNBOOK_TOPICS, RUNBOOKS, runbookUri } from '../runbooks/index.js';

/** diag://runbooks/{topic}: short built-in runbooks naming the hostlens tools, fields and thresholds to check. */
export const runbooksTemplate: ResourceTemplateDefinition = {
  name: 'runbook',
  uriTemplate: 'diag://runbooks/{topic}',
  title: 'Runbook',
  description: `Short built-in runbooks (markdown): which hostlens tools and fields to check, thresholds with units, how to interpret them, and safe remediation steps for a human. Topics: ${RUNBOOK_TOPICS.join(', ')}.`,
  mimeType: 'text/markdown',
  ttlMs: 3_600_000,
  list: () => RUNBOOKS.map((r) => ({ uri: runbookUri(r.topic), name: `runbook-${r.topic}`, title: r.title, description: `Runbook: ${r.title}` })),
  completeFrom: { topic: null },
  complete: { topic: (value) => RUNBOOK_TOPICS.filter((t) => t.startsWith(value.toLowerCase())) },
  read(_uri, variables) {
    const topic = variables.topic ?? '';
    const r = RUNBOOKS.find((x) => x.topic === topic);
    if (!r) throw new HostlensError('not_found', `unknown runbook "${topic.slice(0, 40)}"; topics: ${RUNBOOK_TOPICS.join(', ')}`);
    return r.markdown;
  },
};
