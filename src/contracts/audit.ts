/**
 * The audit log's records and the read side of the log: the HTTP layer
 * writes entries, the diag://admin/audit resource reads them through
 * AuditReader.
 */

export type AuditOutcome = 'ok' | 'tool_error' | 'rpc_error' | `http_${number}` | 'suppressed';

export interface AuditEntry {
  ts: string;
  principal: string;
  era: 'legacy' | 'modern' | null;
  httpMethod: string;
  method: string | null;
  tool?: string;
  resource?: string;
  prompt?: string;
  args?: unknown;
  durationMs: number;
  outcome: AuditOutcome;
  httpStatus: number;
  rpcErrorCode?: number;
  bytes: number;
  sessionRef: string | null;
  requestId: string | number | null;
  /** outcome 'suppressed' (audit-throttle.ts): refusals counted instead of written, and by HTTP status. */
  count?: number;
  byStatus?: Record<string, number>;
}

export interface AuditFilter {
  principal?: string;
  /** Matches `tool`, `prompt` or `resource` exactly. */
  tool?: string;
  /** Epoch ms: entries at or after. */
  sinceMs?: number;
  outcome?: string;
}

export interface AuditTail {
  /** Newest first. */
  entries: AuditEntry[];
  /** Why the list ended before the files did: 'limit' | 'budget' | 'scan' (TAIL_SCAN_BYTES read) | null (everything read). */
  cutBy: 'limit' | 'budget' | 'scan' | null;
  scannedBytes: number;
  filesRead: number;
}

export interface AuditStats {
  written: number;
  dropped: number;
  writeErrors: number;
  rotations: number;
}

export interface AuditReader {
  readonly path: string;
  readonly maxBytes: number;
  readonly keep: number;
  /** The newest entries matching `filter`, newest first, at most `limit` and at most `budgetBytes` of JSON. */
  tail(filter: AuditFilter, limit: number, budgetBytes: number): Promise<AuditTail>;
  stats(): AuditStats;
}
