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
 *   then the principal plus the client PROCESS holding the connection's other
 *   end, `|p:<pid>:<starttime>` (local-peers.ts, src/collectors/peer-process.ts;
 *   the start time makes a reused pid a new tenant). A process is one client
 *   however many connections it opens (Node's fetch opens one per concurrent
 *   request: 400 concurrent requests were 400 tenants, 400 rate buckets) and
 *   however many legacy sessions it holds (each session a tenant would let
 *   one process multiply its bucket, streams and queue share by its session
 *   cap; an agent host running several agents in one process shares one
 *   share, and can run them as separate processes to get separate ones).
 *   Past the per-uid ceiling of distinct clients (local-clients.ts) further
 *   ones of that uid share `|p:overflow`. When the process cannot be found
 *   (gone, fd tables unreadable, scan budget), the client falls back to its
 *   legacy session when the request names one this principal owns (sessions
 *   are principal-bound, so the id cannot be borrowed), else its TCP
 *   connection `|c:<n>` (a counter: ports are reused, counters are not).
 *   Auth off trusts the local user: a process of the same uid could read or
 *   ptrace the others anyway; mutually distrusting clients need tokens.
 * - No HTTP request (stdio, in-process calls): `STDIO_TENANT`.
 *
 * The key holds a session id: it is used only as a Map key, never logged or
 * returned.
 */

/** The tenant of calls that did not come over HTTP (stdio, in-process). */
const STDIO_TENANT = 'stdio';

interface TenantFacts {
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
  if (f.connection?.startsWith('p:')) return `${f.principal}|${f.connection}`;
  if (f.session !== undefined) return `${f.principal}|s:${f.session}`;
  if (f.connection !== undefined) return `${f.principal}|${f.connection}`;
  return f.principal;
}

const connections = new WeakMap<object, string>();
let nextConnection = 0;

/**
 * The client of a TCP connection (its socket), stable for the connection's
 * life: `p:<pid>:<starttime>` (or `p:overflow`) once setConnectionClient has
 * named its process, else `c:<n>`, a short id of the connection itself.
 */
export function connectionKey(socket: object): string {
  let key = connections.get(socket);
  if (key === undefined) {
    nextConnection += 1;
    key = `c:${nextConnection.toString(36)}`;
    connections.set(socket, key);
  }
  return key;
}

/** Names the process at the other end of `socket` (`p:…`, local-peers.ts), before its first request is routed. */
export function setConnectionClient(socket: object, client: `p:${string}`): void {
  connections.set(socket, client);
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
