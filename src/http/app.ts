/**
 * The Streamable HTTP app: one factory that takes an options object and
 * returns a web-standard `fetch` handler plus a node:http listener around it.
 * The product (`hostlens serve`) and the test-only conformance fixtures are
 * both served by this same factory; only the McpServer factory differs.
 *
 * Request flow: one ordered list of guards (built in createHttpApp, run by
 * guards.ts runGuards), then the MCP endpoint (era routing) → SDK. A new
 * check goes into that list at the slot that decides which status wins when
 * a request breaks several rules.
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { HostlensError } from '../contracts/errors.js';
import { silentLogger } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { createAuthenticator } from './auth/authenticate.js';
import type { Authenticator } from './auth/authenticate.js';
import { endAtExpiry } from './auth/expiry.js';
import { isMetadataPath } from './auth/metadata.js';
import { principalOf } from '../server/principal.js';
import type { ScopeIndex } from '../catalogue/scope-index.js';
import { legacyTokenEntry } from './auth/static-tokens.js';
import { createHostGuard, createOriginGuard, isLoopbackAddress, joinRepeatedAuthorization, LOOPBACK_HOSTNAMES, runGuards } from './guards.js';
import type { GuardStep, RequestState } from './guards.js';
import { createMcpGuards } from './mcp-guards.js';
import { healthResponse, readinessResponse } from './health.js';
import type { Readiness } from './health.js';
import { createMcpEndpoint, DEFAULT_MAX_LISTEN_STREAMS } from './mcp-endpoint.js';
import type { RequestFacts } from './mcp-endpoint.js';
import { createSessionManager, DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL_MS } from './sessions/manager.js';
import type { McpFactory, SessionManager } from './sessions/manager.js';
import { createMemoryStore } from './store/memory-store.js';
import type { SessionStore } from './store/types.js';
import { onResponseDone } from './track.js';
import { metricsResponse, observeRequest } from './telemetry.js';
import type { Telemetry } from './telemetry.js';
import { createRateLimiter, enforceRateLimit } from './rate-limit.js';
import { createStreamCap } from './stream-cap.js';
import { connectionKey, setTenant, tenantKey } from '../server/tenant.js';
import { createNodeServer, IDLE_KEEP_ALIVE_MS } from './node-server.js';
import type { LocalPeerPolicy } from './local-peers.js';

export type { McpFactory } from './sessions/manager.js';

export interface HttpAppOptions {
  factory: McpFactory;
  /** Where legacy sessions live (default: a memory store); the app closes it on close(). */
  store?: SessionStore;
  host?: string;
  /** TCP port; 0 or absent = any free port. */
  port?: number;
  /** Extra Host names accepted besides loopback names and the bind address. */
  allowedHosts?: string[];
  /** Extra exact origins (`https://ui.example.com`) accepted besides loopback origins. */
  allowedOrigins?: string[];
  /** Static bearer token with every scope (shorthand for an authenticator holding only it). */
  authToken?: string;
  /** Authentication of /mcp (static tokens, OAuth); some authentication is required for a non-loopback bind. */
  authenticator?: Authenticator;
  /** Scopes of the served catalogue's tools and resources: calls beyond the principal's scopes get 403. */
  scopeIndex?: ScopeIndex;
  maxBodyBytes?: number;
  sessionTtlMs?: number;
  maxSessions?: number;
  sseRetryMs?: number;
  /** Sessions one tenant (tenant.ts) may hold; default a quarter of maxSessions (sessions.ts). */
  maxSessionsPerPrincipal?: number;
  keepAliveMs?: number;
  /** How often this replica proves to the others sharing its store that it is alive (default 5 s, sessions/manager.ts). */
  heartbeatMs?: number;
  /** Open subscriptions/listen streams at most (default DEFAULT_MAX_LISTEN_STREAMS, mcp-endpoint.ts). */
  maxListenStreams?: number;
  /** Whether a URI names a resource; subscriptions/listen then acknowledges only those in resourceSubscriptions. */
  resourceExists?: (uri: string) => boolean;
  /** How long SIGTERM waits for in-flight calls before closing streams. */
  shutdownGraceMs?: number;
  /** Per-principal token bucket on /mcp (rate-limit.ts); absent or requestsPerSec 0 = no limit. */
  rateLimit?: { requestsPerSec: number; burst: number };
  /** Open response streams per principal (stream-cap.ts); absent = no cap. */
  maxStreamsPerPrincipal?: number;
  /** Slow clients: the request head must arrive within headerTimeoutMs, the whole request within headerTimeoutMs + bodyTimeoutMs (defaults below). */
  headerTimeoutMs?: number;
  bodyTimeoutMs?: number;
  readiness?: Readiness;
  version?: string;
  logger?: Logger;
  /** The audit log of /mcp requests and GET /metrics (telemetry.ts). */
  telemetry?: Telemetry;
  /** Authentication off: the local users served besides root and the server's own user (local-peers.ts); always enforced then. */
  localPeers?: LocalPeerPolicy;
  /** Rearranges the guard list (an embedder's own check in its slot, tests); default: the list as built. */
  guards?: (steps: readonly GuardStep[]) => readonly GuardStep[];
}

export interface HttpApp {
  /** `client`: the TCP connection's key (tenant.ts), which the node listener passes. */
  fetch(request: Request, options?: { authInfo?: AuthInfo; client?: string }): Promise<Response>;
  listen(): Promise<{ url: string; port: number; host: string }>;
  /** Graceful stop: refuse new work, let in-flight calls finish (bounded), close streams and sessions. */
  close(): Promise<void>;
  notify: { toolsChanged(): void; promptsChanged(): void; resourcesChanged(): void; resourceUpdated(uri: string): void };
  sessions: SessionManager;
  /** The names of the guards, in the order they run. */
  guards: readonly string[];
}

/** Loopback: serving other machines is a decision (a non-loopback bind needs authentication). */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** How long SIGTERM waits for in-flight calls before streams are closed. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const host = options.host ?? DEFAULT_HOST;
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const version = options.version ?? '0.0.0';
  const startedAt = Date.now();
  const authenticator =
    options.authenticator ?? (options.authToken ? createAuthenticator({ tokens: [legacyTokenEntry(options.authToken)], logger }) : null);
  if (!isLoopbackAddress(host) && !authenticator) {
    throw new HostlensError('invalid_argument', `refusing to bind non-loopback address ${host} without authentication: set an auth token`);
  }

  const hostnames = [...LOOPBACK_HOSTNAMES, ...(options.allowedHosts ?? [])];
  if (!isLoopbackAddress(host) && host !== '0.0.0.0' && host !== '::') hostnames.push(host);
  const onerror = (error: Error): void => logger.warn('mcp error', { error: error.message });

  // Per-tenant rate limit, stream cap and listen share on /mcp (tenant.ts).
  const limiter = options.rateLimit && options.rateLimit.requestsPerSec > 0 ? createRateLimiter(options.rateLimit) : null;
  const streams = createStreamCap(options.maxStreamsPerPrincipal ?? Infinity, { maxListen: options.maxListenStreams ?? DEFAULT_MAX_LISTEN_STREAMS });

  const store = options.store ?? createMemoryStore({ onerror });
  const sessions = createSessionManager({
    factory: options.factory,
    store,
    ttlMs: options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    retryMs: options.sseRetryMs ?? 2000,
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    onerror,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.maxSessionsPerPrincipal !== undefined ? { maxSessionsPerPrincipal: options.maxSessionsPerPrincipal } : {}),
  });
  options.telemetry?.metrics?.sessionsFrom(() => sessions.count());
  const endpoint = createMcpEndpoint({
    factory: options.factory,
    sessions,
    bus: store.bus,
    maxBodyBytes,
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(options.maxListenStreams !== undefined ? { maxSubscriptions: options.maxListenStreams } : {}),
    ...(options.resourceExists ? { resourceExists: options.resourceExists } : {}),
    onerror,
  });
  const mcp = createMcpGuards({
    maxBodyBytes,
    ...(options.scopeIndex ? { scopeIndex: options.scopeIndex } : {}),
    ...(authenticator ? { forbidden: authenticator.forbidden } : {}),
  });

  let draining = false;
  let inflightCalls = 0;
  let idleWaiters: Array<() => void> = [];
  // Open subscriptions/listen streams: shutdown lets their final frames out before dropping connections.
  const listenStreams = new Set<Promise<void>>();
  const settle = (): void => {
    if (inflightCalls > 0) return;
    for (const w of idleWaiters) w();
    idleWaiters = [];
  };

  /*
   * The guards every request passes, in this order; the slot of a check decides which status wins when a
   * request breaks several rules (test/http/guard-pipeline.test.ts):
   * - host, origin: a Host and an Origin this server answers to (403);
   * - other-paths: /healthz, /readyz, the OAuth metadata and /metrics are answered here, any path but /mcp is 404;
   * - auth: the principal (401, 400, 403 from src/http/auth/) and the tenant its limits count against;
   * - rate-limit: the tenant's token bucket (429); stream-cap: a GET stream over the tenant's cap (429);
   * - drain: a server shutting down (503);
   * - content-type (415), accept (406), body-size (413), body-shape (400), json (400 -32700), message-shape
   *   (400, 404), listen-filter (400), scope (403): a POSTed message (mcp-guards.ts);
   * - call-streams: a POSTed request over the tenant's stream cap or listen share (429);
   * - batch-version: a batch outside 2025-03-26 (400 -32600).
   */
  const built: GuardStep[] = [
    { name: 'host', run: createHostGuard(hostnames) },
    { name: 'origin', run: createOriginGuard(hostnames, options.allowedOrigins ?? []) },
    {
      name: 'other-paths',
      run: (request) => {
        const path = new URL(request.url).pathname;
        if ((path === '/healthz' || path === '/readyz') && request.method !== 'GET' && request.method !== 'HEAD') {
          return httpErrorResponse(new HostlensError('method_not_allowed', `Method Not Allowed: ${path} answers GET`), { headers: { allow: 'GET, HEAD' } });
        }
        if (path === '/healthz') return healthResponse(startedAt, version);
        if (path === '/readyz') return readinessResponse(() => ({ ...options.readiness?.(), sessionStore: store.health() }), draining);
        if (authenticator && isMetadataPath(path)) return authenticator.metadata(request);
        // C (metrics): GET /metrics, hostlens:admin when auth is on.
        if (path === '/metrics' && options.telemetry?.metrics) return metricsResponse(options.telemetry.metrics, authenticator, request);
        if (path !== '/mcp') return httpErrorResponse(new HostlensError('not_found', 'Not Found: the MCP endpoint is /mcp'));
        return undefined;
      },
    },
    {
      name: 'auth',
      run: async (request, state) => {
        if (authenticator) {
          const authenticated = await authenticator(request);
          if (authenticated instanceof Response) {
            // The request log says why (never with the token): missing_token, invalid_token, invalid_request, insufficient_scope.
            state.facts.authError = /error="([a-z_]+)"/.exec(authenticated.headers.get('www-authenticate') ?? '')?.[1] ?? 'missing_token';
            return authenticated;
          }
          state.authInfo = authenticated.authInfo;
        }
        const principal = principalOf(state.authInfo);
        state.principal = principal;
        state.facts.principal = principal.id;
        // B (limits): the tenant every limit below counts against (tenant.ts).
        // The session counts only for a local client whose process is unknown (tenant.ts): the store is asked only then.
        const sid = request.headers.get('mcp-session-id');
        const asks = sid !== null && !authenticator && !state.client?.startsWith('p:');
        const session = asks && (await sessions.owns(sid, principal.id)) ? sid : undefined;
        state.tenant = tenantKey({ principal: principal.id, authOn: authenticator !== null, session, connection: state.client });
        setTenant(request, state.tenant);
        return undefined;
      },
    },
    { name: 'rate-limit', run: (request, state) => enforceRateLimit(limiter, state.tenant ?? '', request, store) },
    // GET streams take a slot here; POSTed requests once parsed (call-streams).
    { name: 'stream-cap', run: (request, state) => (request.method === 'GET' ? streams.admit(request, state.tenant ?? '') : undefined) },
    {
      name: 'drain',
      run: () =>
        draining ? httpErrorResponse(new HostlensError('unavailable', 'Service Unavailable: the server is shutting down'), { headers: { connection: 'close' } }) : undefined,
    },
    { name: 'content-type', run: mcp.contentType },
    { name: 'accept', run: mcp.accept },
    { name: 'body-size', run: mcp.bodySize },
    { name: 'body-shape', run: mcp.bodyShape },
    { name: 'json', run: mcp.json },
    { name: 'message-shape', run: mcp.messageShape },
    { name: 'listen-filter', run: mcp.listenFilter },
    { name: 'scope', run: mcp.scope },
    // B (limits): POSTed JSON-RPC requests take a stream slot of their tenant.
    { name: 'call-streams', run: (request, state) => (request.method === 'POST' ? streams.admit(request, state.tenant ?? '', state.body) : undefined) },
    { name: 'batch-version', run: mcp.batchVersion },
  ];
  const guards = options.guards ? options.guards(built) : built;

  const route = async (request: Request, state: RequestState): Promise<Response> => {
    const refused = await runGuards(guards, request, state);
    if (refused) return refused;
    // An event stream ends when the token it was opened with expires.
    return endAtExpiry(await endpoint.handle(request, state), principalOf(state.authInfo).expiresAtMs);
  };

  const fetch = async (request: Request, fetchOptions?: { authInfo?: AuthInfo; client?: string }): Promise<Response> => {
    const started = performance.now();
    const facts: RequestFacts = {};
    const observed = observeRequest(options.telemetry, request, facts);
    let isCall = request.method === 'POST';
    if (isCall) inflightCalls += 1;
    let response: Response;
    try {
      const state: RequestState = {
        facts,
        ...(fetchOptions?.client !== undefined ? { client: fetchOptions.client } : {}),
        ...(fetchOptions?.authInfo ? { authInfo: fetchOptions.authInfo } : {}),
      };
      response = await route(request, state);
    } catch (error) {
      // Whatever reaches here is a fault of ours: 500 "Internal error", what happened in the log only (error-mapping.ts).
      response = httpErrorResponse(new HostlensError('internal', 'request failed', { cause: error }), { log: logger });
    }
    let listenDone: (() => void) | undefined;
    if (isCall && facts.rpcMethod === 'subscriptions/listen') {
      // A listen stream is not a call: shutdown must not wait for it.
      isCall = false;
      inflightCalls -= 1;
      settle();
      const done = new Promise<void>((resolve) => (listenDone = resolve));
      listenStreams.add(done);
      void done.then(() => listenStreams.delete(done));
    }
    const status = response.status;
    const finished = (): void => {
      listenDone?.();
      observed?.finish(status);
      streams.release(request);
      if (isCall) {
        inflightCalls -= 1;
        settle();
      }
      logger.info('request', {
        httpMethod: request.method,
        path: new URL(request.url).pathname,
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...facts,
      });
    };
    return onResponseDone(response, finished, request.signal, observed?.meter(response));
  };

  let server: Server | undefined;
  // Per request, so fetch learns the TCP connection (the auth-off tenant, tenant.ts): two closures, no I/O.
  const nodeHandler = (client: string) =>
    toNodeHandler({ fetch: (request: Request, o?: { authInfo?: AuthInfo }) => fetch(request, { ...o, client }) }, { maxRequestBodySize: maxBodyBytes, onerror });

  return {
    fetch,
    sessions,
    guards: guards.map((g) => g.name),
    notify: {
      toolsChanged: () => {
        endpoint.notify.toolsChanged();
        sessions.listChanged('tools');
      },
      promptsChanged: () => {
        endpoint.notify.promptsChanged();
        sessions.listChanged('prompts');
      },
      resourcesChanged: () => {
        endpoint.notify.resourcesChanged();
        sessions.listChanged('resources');
      },
      resourceUpdated: (uri: string) => {
        endpoint.notify.resourceUpdated(uri);
        void sessions.resourceUpdated(uri).catch(onerror);
      },
    },
    async listen() {
      // Slow clients get 408 (head and whole-request timeouts), connection errors node's own answers
      // without cutting a pipelined response short, TRACE/TRACK 405 (node-server.ts).
      const headersTimeoutMs = options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
      const requestTimeoutMs = headersTimeoutMs + (options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
      const localPeers = authenticator ? {} : { localPeers: options.localPeers ?? {} };
      server = createNodeServer({ headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs: IDLE_KEEP_ALIVE_MS, logger, ...localPeers }, (req, res) => {
        joinRepeatedAuthorization(req);
        flushEventStreamHeads(res);
        void nodeHandler(connectionKey(req.socket))(req, res);
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port ?? 0, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const address = s.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${address.port}/mcp`;
      logger.info('listening', { url, host, port: address.port });
      return { url, port: address.port, host };
    },
    async close() {
      if (draining) return;
      draining = true;
      const s = server;
      const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
      s?.closeIdleConnections();
      const grace = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      await Promise.race([
        new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          settle();
        }),
        new Promise<void>((resolve) => setTimeout(resolve, grace).unref()),
      ]);
      await sessions.closeAll();
      await endpoint.close();
      await store.close().catch(onerror);
      // The SDK has just written each listen stream's final result: let it (and our cancellation) reach the client.
      await Promise.race([Promise.all([...listenStreams]), new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref())]);
      s?.closeAllConnections();
      await closed;
      logger.info('stopped', { inflightCallsAbandoned: inflightCalls });
    },
  };
}

/**
 * Node sends a response head only together with the first body chunk, and the
 * node adapter writes nothing until the SDK emits something. A legacy GET
 * stream has nothing to say until its first keep-alive (15 s by default), so
 * without this the client would wait that long for the 200 and its headers.
 * Event-stream heads are therefore flushed as soon as they are written.
 */
function flushEventStreamHeads(res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    const out = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    const headers = args.find((a): a is Record<string, unknown> => a !== null && typeof a === 'object' && !Array.isArray(a));
    const type = headers ? Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] : undefined;
    if (/^text\/event-stream\b/i.test(String(type ?? ''))) this.flushHeaders();
    return out;
  } as ServerResponse['writeHead'];
}
