import type { Services } from '../definitions/host-services.js';
import type { ResourceDefinition } from '../definitions/types.js';
import { runTriage } from '../diagnostics/triage.js';
import type { TriageResult } from '../diagnostics/triage.js';

/** A triage older than this is refreshed when the overview is read. */
const OVERVIEW_MAX_AGE_MS = 60_000;
export const OVERVIEW_URI = 'diag://local/overview';

/** Stores a triage as the overview's current result (what diag://local/overview serves). */
export function recordTriage(services: Services, r: TriageResult): void {
  const output = { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
  services.state.lastTriage = { collectedAt: new Date().toISOString(), result: output };
}

export const overviewResource: ResourceDefinition = {
  name: 'local-overview',
  uri: OVERVIEW_URI,
  title: 'Host overview (last triage)',
  description:
    'The last triage_host result for this host (collectedAt and ageSec say how old). When the last triage is older than 60 s, or none ran yet, reading this runs a fresh one from the background sampler. Subscribable: the server re-checks the assessments every few seconds and, when any assessment changes status, stores the new triage here and sends notifications/resources/updated (resources/subscribe, or subscriptions/listen with resourceSubscriptions).',
  mimeType: 'application/json',
  ttlMs: 5_000,
  // The stored triage is triage_host's reading: its own declared parts apply to each reader.
  scopedParts: [{ path: 'triage.data', from: 'triage_host' }],
  async read(services, _reader, served = new Map()) {
    const last = services.state.lastTriage;
    const age = last ? Date.now() - Date.parse(last.collectedAt) : Infinity;
    if (!last || !(age <= OVERVIEW_MAX_AGE_MS)) recordTriage(services, await runTriage(services, { servedTools: served }));
    const current = services.state.lastTriage;
    return JSON.stringify(
      {
        host: services.hostId,
        collectedAt: current?.collectedAt ?? null,
        ageSec: current ? Math.round((Date.now() - Date.parse(current.collectedAt)) / 100) / 10 : null,
        triage: current?.result ?? null,
      },
      null,
      2,
    );
  },
};
