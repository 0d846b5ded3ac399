/**
 * What definitions may use: the collector context (root directory), the
 * background sampler, the active thresholds, and a little shared state (the
 * last triage, for diag://local/overview). Built once per process by
 * `app/create-services.ts` and shared by every McpServer instance.
 */
import type { AuditReader } from '../contracts/audit.js';
import type { HostInputs } from '../diagnostics/host-inputs.js';
import type { SnapshotStore } from '../snapshots/store.js';
import type { Logger } from '../util/log.js';

interface TriageRecord {
  collectedAt: string;
  /** The structured result of the last triage_host call. */
  result: unknown;
}

interface HostState {
  lastTriage: TriageRecord | null;
}

export interface Services extends HostInputs {
  state: HostState;
  /** Evidence bundles from capture_snapshot (in memory, bounded; diag://snapshots/{id}). */
  snapshots: SnapshotStore;
  /** The audit log's reader (diag://admin/audit); absent when the audit log is off. */
  audit?: AuditReader;
  /** Where the causes of failed calls and reads go (server/error-mapping.ts); absent: nowhere. */
  log?: Logger;
}
