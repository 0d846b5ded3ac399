/**
 * What one audit line holds, and the redaction of a call's arguments.
 *
 * A line: `ts` (RFC 3339 UTC, when the request arrived), `principal` (the id,
 * never a token), `era`, `httpMethod`, `method` (the JSON-RPC method; null
 * when the request was refused before its body was read), `tool` | `resource`
 * | `prompt`, `args` (redacted and clipped), `durationMs` (until the last byte
 * of the response, or the stream's end), `outcome` ('ok' | 'tool_error' |
 * 'rpc_error' | 'http_<status>'), `httpStatus`, `rpcErrorCode` (with
 * rpc_error), `bytes` (response body bytes written; for SSE the whole
 * stream), `sessionRef` (12-hex digest of Mcp-Session-Id, never the id) and
 * `requestId`.
 *
 * Arguments: every string is clipped to 4 KiB, redacted with the project's
 * redaction (src/server/redact-result.ts: the string rules plus secret-named
 * keys), then clipped to 256 chars; objects and arrays are cut to 32 members
 * and 6 levels (a `__proto__` key is shown as `[__proto__]`). If the result is still over 2 KiB of JSON it is replaced by
 * its clipped JSON text, so a line stays well under 4 KiB.
 */
import { clipString, clipStringBeforeRedaction } from '../collectors/read.js';
import { redactValue } from '../server/redact-result.js';

import type { AuditEntry, AuditFilter, AuditOutcome } from '../contracts/audit.js';

const PRE_REDACT_CHARS = 4096;
const MAX_STRING_CHARS = 256;
const MAX_MEMBERS = 32;
const MAX_DEPTH = 6;
export const MAX_ARGS_JSON = 2048;

/** A copy of `value` bounded in depth, members and string length (before redaction). Prototype keys stay plain data. */
function bound(value: unknown, depth: number): unknown {
  // cut between tokens: a secret split at the bound would be two halves no redaction rule recognises
  if (typeof value === 'string') return clipStringBeforeRedaction(value, PRE_REDACT_CHARS);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' || typeof value === 'function' ? String(value) : value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[array of ${value.length}]` : '[object]';
  if (Array.isArray(value)) {
    const out = value.slice(0, MAX_MEMBERS).map((v) => bound(v, depth + 1));
    if (value.length > MAX_MEMBERS) out.push(`…[+${value.length - MAX_MEMBERS} items]`);
    return out;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  // "__proto__" is shown as "[__proto__]": later copies assign keys, and an assigned __proto__ would vanish into the prototype.
  const kept: Array<[string, unknown]> = entries.slice(0, MAX_MEMBERS).map(([k, v]) => [k === '__proto__' ? '[__proto__]' : clipString(k, 64), bound(v, depth + 1)]);
  if (entries.length > MAX_MEMBERS) kept.push(['…', `+${entries.length - MAX_MEMBERS} keys`]);
  // fromEntries defines own properties: a "__proto__" key stays a key, never a prototype.
  return Object.fromEntries(kept);
}

function clipStrings(value: unknown): unknown {
  if (typeof value === 'string') return clipString(value, MAX_STRING_CHARS);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clipStrings);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, clipStrings(v)]));
}

/** A call's arguments as the audit line shows them: bounded, redacted, clipped (see the module comment). */
export function redactArgs(args: unknown): unknown {
  if (args === undefined) return undefined;
  const shown = clipStrings(redactValue(bound(args, 0)).value);
  const json = JSON.stringify(shown) ?? 'null';
  if (json.length <= MAX_ARGS_JSON) return shown;
  return { clippedJson: clipString(json, MAX_ARGS_JSON - 64) };
}

/** A cheap pre-check on a raw line before parsing it: false only when the line cannot match. */
export function mayMatch(line: string, filter: AuditFilter): boolean {
  if (filter.principal !== undefined && !line.includes(`"principal":${JSON.stringify(filter.principal)}`)) return false;
  if (filter.tool !== undefined && !line.includes(JSON.stringify(filter.tool))) return false;
  if (filter.outcome !== undefined && !line.includes(`"outcome":${JSON.stringify(filter.outcome)}`)) return false;
  return true;
}

export function matchesFilter(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.principal !== undefined && entry.principal !== filter.principal) return false;
  if (filter.tool !== undefined && entry.tool !== filter.tool && entry.prompt !== filter.tool && entry.resource !== filter.tool) return false;
  if (filter.outcome !== undefined && entry.outcome !== filter.outcome) return false;
  if (filter.sinceMs !== undefined) {
    const t = Date.parse(entry.ts);
    if (!Number.isFinite(t) || t < filter.sinceMs) return false;
  }
  return true;
}

/** What the HTTP layer knows about one finished request. */
interface AuditFacts
  extends Pick<AuditEntry, 'principal' | 'era' | 'httpMethod' | 'method' | 'tool' | 'resource' | 'prompt' | 'args' | 'durationMs' | 'bytes' | 'sessionRef' | 'requestId'> {
  startedAtMs: number;
  httpStatus: number;
  rpcErrorCode: number | null;
  toolError: boolean;
}

export function outcomeOf(f: Pick<AuditFacts, 'httpStatus' | 'rpcErrorCode' | 'toolError'>): AuditOutcome {
  if (f.httpStatus >= 300) return `http_${f.httpStatus}`;
  if (f.rpcErrorCode !== null) return 'rpc_error';
  if (f.toolError) return 'tool_error';
  return 'ok';
}

export function auditEntryOf(f: AuditFacts): AuditEntry {
  const entry: AuditEntry = {
    ts: new Date(f.startedAtMs).toISOString(),
    principal: clipString(f.principal, 256),
    era: f.era,
    httpMethod: f.httpMethod.slice(0, 16),
    method: f.method === null ? null : clipString(f.method, 64),
    durationMs: Math.round(f.durationMs * 10) / 10,
    outcome: outcomeOf(f),
    httpStatus: f.httpStatus,
    bytes: f.bytes,
    sessionRef: f.sessionRef,
    requestId: typeof f.requestId === 'string' ? clipString(f.requestId, 128) : f.requestId,
  };
  if (f.tool !== undefined) entry.tool = clipString(f.tool, 128);
  if (f.prompt !== undefined) entry.prompt = clipString(f.prompt, 128);
  if (f.resource !== undefined) entry.resource = clipString(redactValue(f.resource).value, 512);
  if (f.args !== undefined) entry.args = redactArgs(f.args);
  if (f.rpcErrorCode !== null) entry.rpcErrorCode = f.rpcErrorCode;
  return entry;
}
