import type { ResourceDefinition } from '../catalogue/types.js';
import { runTriage } from '../diagnostics/triage.js';

/** A triage older than this is refreshed when the overview is read. */
export const OVERVIEW_MAX_AGE_MS = 60_000;

export const overviewResource: ResourceDefinition = {
  name: 'local-overview',
  uri: 'diag://local/overview',
  title: 'Host overview (last triage)',
  description: 'The last triage_host result for this host (collectedAt and ageSec say how old). When the last triage is older than 60 s, or none ran yet, reading this runs a fresh one from the background sampler.',
  mimeType: 'application/json',
  ttlMs: 5_000,
  async read(services) {
    const last = services.state.lastTriage;
    const age = last ? Date.now() - Date.parse(last.collectedAt) : Infinity;
    if (!last || !(age <= OVERVIEW_MAX_AGE_MS)) {
      const r = await runTriage(services);
      const output = { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
      services.state.lastTriage = { collectedAt: new Date().toISOString(), result: output };
    }
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
