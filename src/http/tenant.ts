/**
 * Who shares a limit: the "tenant" every per-client limit keys on (the rate
 * bucket, the stream cap and the listen share, the per-principal session cap,
 * the tool queues' fair share).
 *
 * - Auth on: the principal (`static:<name>`, `oauth:<iss>#<sub>`). Two clients
 *   holding one token are one tenant: the token is the identity.
 * - Auth off: every allowed local client is the same few uids
 *   (`local:uid:<n>`), so the principal alone would put every local client
 *   in one bucket (one noisy client got every other one 429). The tenant is
 *   then the principal plus the client: its legacy session when the request
 *   names one that this principal owns (sessions are principal-bound, so the
 *   id cannot be borrowed), else its TCP connection. Both cost a Map lookup
 *   per request; the connection id is a counter (ports are reused, counters
 *   are not). A client spreading over many connections or sessions is
 *   several tenants: auth off trusts the local user, and a process of the
 *   same uid could read or ptrace the others anyway; mutually distrusting
 *   clients need tokens.
 * - No HTTP request (stdio, in-process calls): `STDIO_TENANT`.
 *
 * The key holds a session id: it is used only as a Map key, never logged or
 * returned.
 */

/** The tenant of calls that did not come over HTTP (stdio, in-process). */
export const STDIO_TENANT = 'stdio';

export interface TenantFacts {
  /** Principal.id after authentication. */
  principal: string;
  /** Whether the server authenticates (tokens or OAuth). */
  authOn: boolean;
  /** A legacy session id the request carries, only when that principal owns the session. */
  session?: string | undefined;
  /** connectionKey() of the request's TCP connection, when it came over one. */
  connection?: string | undefined;
}

/** The tenant key of one request (see the module comment). */
export function tenantKey(f: TenantFacts): string {
  if (f.authOn) return f.principal;
  if (f.session !== undefined) return `${f.principal}|s:${f.session}`;
  if (f.connection !== undefined) return `${f.principal}|c:${f.connection}`;
  return f.principal;
}

const connections = new WeakMap<object, string>();
let nextConnection = 0;

/** A short id of a TCP connection (its socket), stable for the connection's life. */
export function connectionKey(socket: object): string {
  let key = connections.get(socket);
  if (key === undefined) {
    nextConnection += 1;
    key = nextConnection.toString(36);
    connections.set(socket, key);
  }
  return key;
}

const tenants = new WeakMap<Request, string>();

/** Records `request`'s tenant (the HTTP app, once the principal is known). */
export function setTenant(request: Request, key: string): void {
  tenants.set(request, key);
}

/** The tenant recorded for `request`; STDIO_TENANT without one (stdio, in-process). */
export function tenantOf(request: Request | undefined): string {
  return (request && tenants.get(request)) ?? STDIO_TENANT;
}
