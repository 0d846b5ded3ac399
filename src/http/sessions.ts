/**
 * Legacy (2025-era) Streamable HTTP sessions: one SDK transport and one
 * McpServer per session, keyed by Mcp-Session-Id. Sessions have an idle TTL
 * (reaped by a timer; a session with an open stream is not idle) and two caps:
 *
 * - Per tenant (src/server/tenant.ts: the principal, with auth off the local
 *   client that sent initialize), `maxSessionsPerPrincipal` (default a
 *   quarter of maxSessions): one token used to fill all 256 sessions and lock
 *   every other principal out. At its cap, a tenant's new initialize closes
 *   that tenant's own least recently used idle session (no request or stream
 *   in progress) instead of being refused: SDK clients rarely send DELETE, so
 *   an agent that re-creates its client would otherwise be locked out until
 *   its abandoned sessions expire (30 min). 503 only when all its sessions
 *   are in use.
 * - In all, `maxSessions`: at the cap, expired sessions are reaped; then the
 *   tenant holding the most sessions (more than the one asking) loses its
 *   least recently used idle session, so a full table refuses only its
 *   largest holders. 503 when no such session exists.
 *
 * A closed session answers 404 like an expired one; clients start a new one.
 * A session is bound to the principal that opened it: a request on it by any
 * other principal is answered exactly like an unknown session id (404), so a
 * leaked id is useless to another token and is no existence oracle.
 */
import { randomUUID } from 'node:crypto';
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { AuthInfo, McpServer } from '@modelcontextprotocol/server';
import { isSubscribed } from '../server/subscriptions.js';
import { principalOf } from '../server/principal.js';
import { tenantOf } from '../server/tenant.js';
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { requestIdOf } from '../server/jsonrpc-errors.js';
import { createMemoryEventStore } from './event-store.js';
import type { MemoryEventStoreOptions } from './event-store.js';
import { onResponseDone } from './track.js';

/** Idle legacy sessions are closed after this (config `sessionTtlSec`). */
export const DEFAULT_SESSION_TTL_MS = 30 * 60_000;
/** Legacy sessions open at once, server-wide (config `maxSessions`). */
export const DEFAULT_MAX_SESSIONS = 256;

interface McpFactoryContext {
  era: 'legacy' | 'modern';
}
export type McpFactory = (ctx: McpFactoryContext) => McpServer;

interface SessionManagerOptions {
  factory: McpFactory;
  /** Idle time after which a session is closed. */
  ttlMs: number;
  maxSessions: number;
  /** Sessions one tenant may hold (default a quarter of maxSessions, at least 1). */
  maxSessionsPerPrincipal?: number;
  /** SSE `retry:` hint sent in priming events (ms). */
  retryMs?: number;
  keepAliveMs?: number;
  eventStore?: MemoryEventStoreOptions;
  onerror?: (error: Error) => void;
  now?: () => number;
}

interface Session {
  id: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  active: number;
  /** Principal.id of whoever opened the session. */
  principal: string;
  /** The tenant (tenant.ts) that sent its initialize: the session counts against its cap. */
  tenant: string;
}

export interface SessionManager {
  handle(request: Request, parsedBody: unknown, authInfo?: AuthInfo): Promise<Response>;
  count(): number;
  /** Sessions held by `tenant` (for tests and diagnostics). */
  countOf(tenant: string): number;
  /** Whether `id` names a live session opened by `principal` (a Map lookup: used for the tenant key). */
  owns(id: string, principal: string): boolean;
  /** Closes sessions idle for longer than the TTL; returns how many. */
  reap(): Promise<number>;
  closeAll(): Promise<void>;
  servers(): McpServer[];
  /** Servers of the sessions subscribed to `uri` (a successful resources/subscribe, not since unsubscribed). */
  subscribers(uri: string): McpServer[];
  /** Stops the reaper timer (closeAll does too). */
  stop(): void;
}

export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const sessions = new Map<string, Session>();
  const byTenant = new Map<string, Set<Session>>();
  const perTenant = Math.max(1, options.maxSessionsPerPrincipal ?? defaultSessionsPerPrincipal(options.maxSessions));
  const now = options.now ?? Date.now;
  const report = (error: unknown): void => options.onerror?.(error instanceof Error ? error : new Error(String(error)));

  const held = (tenant: string): number => (byTenant.get(tenant)?.size ?? 0) + (openingBy.get(tenant) ?? 0);
  const register = (session: Session): void => {
    sessions.set(session.id, session);
    let set = byTenant.get(session.tenant);
    if (!set) byTenant.set(session.tenant, (set = new Set()));
    set.add(session);
  };
  /** Forgets the session at once (synchronously, so a cap check right after sees the room), then closes it. */
  const dispose = async (session: Session): Promise<void> => {
    if (sessions.get(session.id) === session) sessions.delete(session.id);
    const set = byTenant.get(session.tenant);
    if (set?.delete(session) && set.size === 0) byTenant.delete(session.tenant);
    await session.transport.close().catch(report);
    await session.server.close().catch(report);
  };

  const reap = async (): Promise<number> => {
    const cutoff = now() - options.ttlMs;
    const idle = [...sessions.values()].filter((s) => s.active === 0 && s.lastSeen <= cutoff);
    await Promise.all(idle.map(dispose));
    return idle.length;
  };

  const interval = Math.max(250, Math.min(options.ttlMs / 2, 60_000));
  const timer = setInterval(() => void reap().catch(report), interval);
  timer.unref();

  /**
   * After notifications/cancelled the SDK sends nothing more for that request,
   * so its POST stream would stay open until the client hangs up: end it, so
   * the cancelled call no longer counts as in flight (shutdown, idle TTL).
   */
  const endCancelledStream = (session: Session, body: unknown): void => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
    const { method, params } = body as { method?: unknown; params?: { requestId?: unknown } };
    const id = params?.requestId;
    if (method !== 'notifications/cancelled' || (typeof id !== 'string' && typeof id !== 'number')) return;
    // Let the SDK abort the handler first, then close the stream.
    setTimeout(() => session.transport.closeSSEStream(id), 50).unref();
  };

  const serve = async (session: Session, request: Request, parsedBody: unknown, authInfo?: AuthInfo): Promise<Response> => {
    session.lastSeen = now();
    session.active += 1;
    let response: Response;
    try {
      response = await session.transport.handleRequest(request, { parsedBody, ...(authInfo ? { authInfo } : {}) });
    } catch (error) {
      session.active -= 1;
      throw error;
    }
    endCancelledStream(session, parsedBody);
    return onResponseDone(response, () => {
      session.active -= 1;
      session.lastSeen = now();
    });
  };

  // Initializes admitted but not yet registered (a session joins `sessions`
  // only once the SDK has minted its id, after several awaits): counted
  // against the caps so concurrent opens cannot overshoot them.
  let opening = 0;
  const openingBy = new Map<string, number>();

  /** The least recently used session without a request or stream in progress. */
  const oldestIdle = (among: Iterable<Session>): Session | undefined => {
    let best: Session | undefined;
    for (const s of among) if (s.active === 0 && (!best || s.lastSeen < best.lastSeen)) best = s;
    return best;
  };
  /** At the global cap: the oldest idle session of the largest holder that holds more than `mine`. */
  const largestHoldersIdle = (mine: number): Session | undefined => {
    const holders = [...byTenant.values()].filter((set) => set.size > mine).sort((a, b) => b.size - a.size);
    for (const set of holders) {
      const s = oldestIdle(set);
      if (s) return s;
    }
    return undefined;
  };

  const refuse = (parsedBody: unknown, message: string): Response =>
    httpErrorResponse(new HostlensError('unavailable', message), { id: requestIdOf(parsedBody), headers: { 'retry-after': '30' } });

  const open = async (request: Request, parsedBody: unknown, authInfo?: AuthInfo): Promise<Response> => {
    const tenant = tenantOf(request);
    if (sessions.size + opening >= options.maxSessions) await reap();
    // From here to the reservation below nothing awaits, so concurrent opens see each other.
    if (held(tenant) >= perTenant) {
      const own = oldestIdle(byTenant.get(tenant) ?? []);
      if (!own) {
        return refuse(parsedBody, `Session limit reached for this client (${held(tenant)} open sessions, all in use; maxSessionsPerPrincipal ${perTenant}); close one or retry later`);
      }
      void dispose(own);
    }
    if (sessions.size + opening >= options.maxSessions) {
      const other = largestHoldersIdle(held(tenant) + 1);
      if (!other) return refuse(parsedBody, `Session limit reached (${options.maxSessions} open sessions); close one or retry later`);
      void dispose(other);
    }
    opening += 1;
    openingBy.set(tenant, (openingBy.get(tenant) ?? 0) + 1);
    try {
      return await admit(request, parsedBody, authInfo, tenant);
    } finally {
      opening -= 1;
      const n = (openingBy.get(tenant) ?? 1) - 1;
      if (n > 0) openingBy.set(tenant, n);
      else openingBy.delete(tenant);
    }
  };

  const admit = async (request: Request, parsedBody: unknown, authInfo: AuthInfo | undefined, tenant: string): Promise<Response> => {
    const server = options.factory({ era: 'legacy' });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: createMemoryEventStore(options.eventStore),
      ...(options.retryMs !== undefined ? { retryInterval: options.retryMs } : {}),
      ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
      onsessioninitialized: (id) => {
        session.id = id;
        register(session);
      },
      onsessionclosed: (id) => {
        const s = sessions.get(id);
        if (s) void dispose(s);
      },
    });
    const session: Session = { id: '', transport, server, lastSeen: now(), active: 0, principal: principalOf(authInfo).id, tenant };
    transport.onerror = report;
    await server.connect(transport);
    const response = await serve(session, request, parsedBody, authInfo);
    if (session.id === '') {
      // initialize was refused (bad params): nothing to keep.
      await transport.close().catch(report);
      await server.close().catch(report);
    }
    return response;
  };

  return {
    async handle(request, parsedBody, authInfo) {
      const id = request.headers.get('mcp-session-id');
      if (id !== null) {
        const session = sessions.get(id);
        if (!session || session.principal !== principalOf(authInfo).id) {
          return httpErrorResponse(new HostlensError('session_not_found', 'Session not found: it was deleted, expired or never existed; send initialize to start a new one'), {
            id: requestIdOf(parsedBody),
          });
        }
        return serve(session, request, parsedBody, authInfo);
      }
      if (request.method === 'POST' && isInitializeRequest(parsedBody)) return open(request, parsedBody, authInfo);
      if (request.method === 'POST' && (parsedBody as { method?: unknown } | null)?.method === 'initialize') {
        return httpErrorResponse(new HostlensError('invalid_argument', 'Invalid params: initialize needs protocolVersion, capabilities and clientInfo'), { id: requestIdOf(parsedBody) });
      }
      return httpErrorResponse(new HostlensError('bad_request', 'Bad Request: Mcp-Session-Id header is required'), { id: requestIdOf(parsedBody) });
    },
    count: () => sessions.size,
    countOf: (tenant) => byTenant.get(tenant)?.size ?? 0,
    owns: (id, principal) => sessions.get(id)?.principal === principal,
    reap,
    async closeAll() {
      clearInterval(timer);
      await Promise.all([...sessions.values()].map(dispose));
    },
    servers: () => [...sessions.values()].map((s) => s.server),
    subscribers: (uri) => [...sessions.values()].map((s) => s.server).filter((server) => isSubscribed(server, uri)),
    stop: () => clearInterval(timer),
  };
}

/** The default per-tenant session cap: a quarter of maxSessions (64 of 256), at least 1. */
function defaultSessionsPerPrincipal(maxSessions: number): number {
  return Math.max(1, Math.ceil(maxSessions / 4));
}
