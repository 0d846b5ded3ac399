/**
 * diag://admin/audit (scope hostlens:admin): the newest audit log entries,
 * newest first, read back from the audit file and its rotations with a
 * bounded backwards scan (src/http/audit.ts tail()).
 *
 * Filters: the SDK's URI templates match `{?a,b}` only when every variable is
 * present in order, so the filter is one reserved expansion,
 * `diag://admin/audit{+query}`, whose value is a query string taking
 * `principal`, `tool` (a tool, prompt or resource URI), `outcome`, `since`
 * (`-15m`, `-2h`, RFC 3339) and `limit` (1–500, default 50) in any order:
 * `diag://admin/audit?tool=get_cpu&since=-1h&limit=20`.
 */
import type { Services } from '../definitions/host-services.js';
import { HostlensError } from '../contracts/errors.js';
import type { ResourceDefinition, ResourceTemplateDefinition } from '../definitions/types.js';
import { parseTime } from '../util/time-arg.js';
import type { AuditFilter } from '../contracts/audit.js';

const AUDIT_URI = 'diag://admin/audit';
const DEFAULT_AUDIT_LIMIT = 50;
const MAX_AUDIT_LIMIT = 500;
/** Room kept for the wrapper around the entries within maxResultBytes. */
const WRAPPER_BYTES = 1024;

const KEYS = new Set(['principal', 'tool', 'outcome', 'since', 'limit']);

interface AuditQuery {
  filter: AuditFilter;
  limit: number;
  shown: Record<string, string>;
}

/** The filter of a `?principal=…&tool=…&outcome=…&since=…&limit=…` query; a bad one is not_found naming it (the URI names no resource). */
export function parseAuditQuery(query: string, nowMs: number = Date.now()): AuditQuery {
  const filter: AuditFilter = {};
  const shown: Record<string, string> = {};
  let limit = DEFAULT_AUDIT_LIMIT;
  if (query === '') return { filter, limit, shown };
  if (!query.startsWith('?')) throw new HostlensError('not_found', `unknown audit resource: filters go after "?", e.g. ${AUDIT_URI}?tool=get_cpu&limit=20`);
  const params = new URLSearchParams(query.slice(1));
  for (const [key, value] of params) {
    if (!KEYS.has(key)) throw new HostlensError('not_found', `unknown audit filter "${key.slice(0, 40)}": use principal, tool, outcome, since, limit`);
    const v = value.slice(0, 512);
    shown[key] = v;
    if (key === 'principal') filter.principal = v;
    else if (key === 'tool') filter.tool = v;
    else if (key === 'outcome') filter.outcome = v;
    else if (key === 'since') {
      try {
        filter.sinceMs = parseTime(v, nowMs, 'since');
      } catch (error) {
        throw new HostlensError('not_found', error instanceof Error ? error.message : 'bad since', { cause: error });
      }
    } else {
      const n = Number(v);
      if (!/^\d{1,4}$/.test(v) || n < 1 || n > MAX_AUDIT_LIMIT) throw new HostlensError('not_found', `limit must be an integer 1–${MAX_AUDIT_LIMIT}, got "${v.slice(0, 20)}"`);
      limit = n;
    }
  }
  return { filter, limit, shown };
}

async function readAudit(query: string, services: Services): Promise<string> {
  const q = parseAuditQuery(query);
  const audit = services.audit;
  if (!audit) {
    return JSON.stringify({
      enabled: false,
      note: 'the audit log is off: it is on by default when auth is on, or set auditLog.path (HOSTLENS_AUDIT_LOG)',
      filter: q.shown,
      entries: [],
    });
  }
  const budget = Math.max(2048, services.limits.maxResultBytes - WRAPPER_BYTES);
  const tail = await audit.tail(q.filter, q.limit, budget);
  const more =
    tail.cutBy === 'budget'
      ? `cut to fit maxResultBytes (${services.limits.maxResultBytes}); narrow the filter or pass since to see older entries`
      : tail.cutBy === 'scan'
        ? 'the backwards scan stopped after 8 MiB of audit lines; narrow the filter with since'
        : tail.cutBy === 'limit'
          ? `limit ${q.limit} reached; older matching entries may exist`
          : null;
  return JSON.stringify({
    enabled: true,
    file: audit.path,
    maxBytes: audit.maxBytes,
    keep: audit.keep,
    filter: q.shown,
    returned: tail.entries.length,
    truncated: more === null ? null : { cutBy: tail.cutBy, note: more },
    scannedBytes: tail.scannedBytes,
    filesRead: tail.filesRead,
    stats: audit.stats(),
    entries: tail.entries,
  });
}

const DESCRIPTION =
  'The audit log (admin only): one entry per /mcp request, newest first (by when the request finished; ts is when it arrived): {ts, principal, era, httpMethod, method, tool|resource|prompt, args (redacted, clipped), durationMs, outcome (ok | tool_error | rpc_error | http_<status>), httpStatus, rpcErrorCode?, bytes, sessionRef, requestId}. Bounded by maxResultBytes (truncated says why the list ended).';

export const auditResource: ResourceDefinition = {
  name: 'audit',
  uri: AUDIT_URI,
  title: 'Audit log (newest entries)',
  description: `${DESCRIPTION} The newest ${DEFAULT_AUDIT_LIMIT}; filter with ${AUDIT_URI}?principal=…&tool=…&outcome=…&since=-1h&limit=1-${MAX_AUDIT_LIMIT}.`,
  mimeType: 'application/json',
  ttlMs: 0,
  read: (services) => readAudit('', services),
};

export const auditTemplate: ResourceTemplateDefinition = {
  name: 'audit-filtered',
  uriTemplate: `${AUDIT_URI}{+query}`,
  title: 'Audit log (filtered)',
  description: `${DESCRIPTION} query is a query string, keys in any order, all optional: ?principal=static:ops&tool=get_cpu&outcome=tool_error&since=-2h&limit=100 (limit 1-${MAX_AUDIT_LIMIT}, default ${DEFAULT_AUDIT_LIMIT}; tool matches a tool, prompt or resource URI exactly; since is -15m, -2h, -1d or RFC 3339).`,
  mimeType: 'application/json',
  ttlMs: 0,
  read: (_uri, variables, services) => readAudit(variables.query ?? '', services),
};
