/**
 * What definitions may use: the collector context (root directory), the
 * background sampler, the active thresholds, and a little shared state (the
 * last triage, for diag://local/overview). Built once per process by
 * `server/services.ts` and shared by every McpServer instance.
 */
import type { CollectorContext } from '../collectors/context.js';
import type { Sampler } from '../collectors/sampler.js';
import type { Thresholds } from '../diagnostics/thresholds.js';

export interface TriageRecord {
  collectedAt: string;
  /** The structured result of the last triage_host call. */
  result: unknown;
}

export interface HostState {
  lastTriage: TriageRecord | null;
}

export interface Services {
  hostId: string;
  collectors: CollectorContext;
  sampler: Sampler;
  thresholds: Thresholds;
  state: HostState;
}
