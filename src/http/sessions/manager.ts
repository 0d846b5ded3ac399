/**
 * Legacy (2025-era) Streamable HTTP sessions as records. A session is a
 * SessionRecord in the store (../store/types.ts); every request is served by
 * a server built for that request, given the session's identity
 * (server/restore-session.ts), on the SDK's transport in stateless mode.
 * hostlens does the session checks itself, with the same wire answers as a
 * stateful SDK transport: Mcp-Session-Id issued on initialize, 400 without
 * an id, 404 -32001 for an unknown, deleted, expired or other principal's id
 * (a leaked id is useless to another token and no existence oracle), 202 for
 * notifications and responses, DELETE, the caps with 503, the idle TTL.
 * Any replica sharing the store serves any request of any session.
 *
 * Caps: per tenant (server/tenant.ts), `maxSessionsPerPrincipal` (default a
 * quarter of maxSessions): at it, the tenant's own least recently seen idle
 * session is closed (SDK clients rarely send DELETE; an agent re-creating its
 * client would otherwise be locked out until its abandoned sessions expire).
 * In all, `maxSessions`: at it, the largest holder loses its least recently
 * seen idle session; 503 when none is idle. "Idle" is known per replica: a
 * session with a request or stream in progress here is never evicted.
 *
 * Streams: the standalone GET stream and resumed POST streams are written by
 * hostlens from the session's stored events (event-stream.ts), so the replica
 * holding a GET stream delivers what any replica stored for it. One GET
 * stream per session per replica (409); across replicas the newest wins,
 * since a replica that died cannot release a lease.
 */
import { randomBytes } from 'node:crypto';
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { AuthInfo, EventStore, JSONRPCMessage, McpServer, RequestId } from '@modelcontextprotocol/server';
import { HostlensError } from '../../contracts/errors.js';
import { httpErrorResponse } from '../../server/error-mapping.js';
import { requestIdOf } from '../../server/jsonrpc-errors.js';
import { principalOf } from '../../server/principal.js';
import { restoreSession } from '../../server/restore-session.js';
import type { SubscriptionSink } from '../../server/subscriptions.js';
import { tenantOf } from '../../server/tenant.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { GET_STREAM_ID, openEventStream } from './event-stream.js';
import type { EventStream } from './event-stream.js';
import { requestIdsOf, RequestTransport } from './request-transport.js';
import { forwardToCalls, LEGACY_VERSIONS, levelSetBy, unsupportedVersion } from './messages.js';

/** Idle legacy sessions are closed after this (config `sessionTtlSec`). */
export const DEFAULT_SESSION_TTL_MS = 30 * 60_000;
/** Legacy sessions open at once (config `maxSessions`); across replicas with a shared store. */
export const DEFAULT_MAX_SESSIONS = 10_000;
const DEFAULT_KEEP_ALIVE_MS = 15_000;
/** clientInfo and capabilities kept per session: a 4 MiB initialize must not become a 4 MiB record. */
const MAX_IDENTITY_BYTES = 16 * 1024;
/** Each replica renews its heartbeat lease this often, valid for three periods; a resumed stream's call is checked after two. */
const DEFAULT_HEARTBEAT_MS = 5_000;
/**
 * How long a shared store keeps a stream's events after its last one: a client resumes within seconds (the
 * retry hint is 2 s), and a session's events must not pile up in Redis for the whole TTL (16 streams of up to
 * a result budget each, for every session a token may hold).
 */
export const EVENT_RETENTION_MS = 10 * 60_000;
/** Retry-After when the store cannot be reached. */
const STORE_RETRY_AFTER_SEC = 5;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

interface McpFactoryContext {
  era: 'legacy' | 'modern';
  /** Legacy requests: where resources/subscribe keeps its URIs (the session's record). */
  subscriptions?: SubscriptionSink;
}
export type McpFactory = (ctx: McpFactoryContext) => McpServer;

interface SessionManagerOptions {
  factory: McpFactory;
  store: SessionStore;
  ttlMs: number;
  maxSessions: number;
  /** Sessions one tenant may hold (default a quarter of maxSessions, at least 1). */
  maxSessionsPerPrincipal?: number;
  /** SSE `retry:` hint sent in priming events (ms). */
  retryMs?: number;
  keepAliveMs?: number;
  /** How often this replica proves to the others that it is alive (default 5 s). */
  heartbeatMs?: number;
  onerror?: (error: Error) => void;
  now?: () => number;
}

export interface SessionManager {
  handle(request: Request, parsedBody: unknown, authInfo?: AuthInfo): Promise<Response>;
  count(): Promise<number>;
  /** Sessions held by `tenant`. */
  countOf(tenant: string): Promise<number>;
  /** Whether `id` names a live session opened by `principal` (false when the store cannot say). */
  owns(id: string, principal: string): Promise<boolean>;
  /** Ids of the sessions subscribed to `uri`. */
  subscribers(uri: string): Promise<string[]>;
  /** Drops sessions idle for longer than the TTL; returns how many. */
  reap(): Promise<number>;
  /** notifications/resources/updated to every session subscribed to `uri`, as a GET-stream event (replayable). */
  resourceUpdated(uri: string): Promise<void>;
  /** notifications/<list>/list_changed on every open GET stream of every replica. */
  listChanged(list: 'tools' | 'prompts' | 'resources'): void;
  /** Ends this replica's streams and timers (the sessions stay in the store). */
  closeAll(): Promise<void>;
}

export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { store } = options;
  const now = options.now ?? Date.now;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const limits = {
    maxSessions: options.maxSessions,
    maxPerTenant: Math.max(1, options.maxSessionsPerPrincipal ?? Math.ceil(options.maxSessions / 4)),
    ttlMs: options.ttlMs,
  };
  const report = (error: unknown): void => options.onerror?.(error instanceof Error ? error : new Error(String(error)));
  const replica = randomBytes(8).toString('hex');

  // ------------------------------------------------------------ what this replica holds
  /** Requests and streams in progress here, per session: such a session is busy (never evicted) and kept alive. */
  const held = new Map<string, { count: number; timer: NodeJS.Timeout }>();
  const refreshMs = Math.max(100, Math.min(options.ttlMs / 3, 60_000));
  const hold = (id: string, principal: string): (() => void) => {
    let h = held.get(id);
    if (!h) {
      const timer = setInterval(() => void store.touch(id, principal, now(), options.ttlMs).catch(report), refreshMs);
      timer.unref();
      held.set(id, (h = { count: 0, timer }));
    }
    h.count += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const cur = held.get(id);
      if (!cur || (cur.count -= 1) > 0) return;
      clearInterval(cur.timer);
      held.delete(id);
    };
  };
  const busy = (id: string): boolean => held.has(id);
  /** In-flight requests here, for notifications/cancelled and client responses that reached another replica. */
  const inflight = new Map<string, RequestTransport>();
  const inflightBySession = new Map<string, Set<RequestTransport>>();
  const inflightKey = (session: string, id: RequestId): string => `${session}\n${typeof id}:${String(id)}`;
  /** Streams open here, per session; the standalone GET stream also by session. */
  const streams = new Map<string, Set<EventStream>>();
  const getStreams = new Map<string, EventStream>();
  const closeStreamsOf = (session: string): void => {
    for (const s of [...(streams.get(session) ?? [])]) s.close();
  };

  const unsubscribeControl = store.control.subscribe((message) => {
    switch (message.type) {
      case 'cancel':
        inflight.get(inflightKey(message.session, message.requestId))?.cancel(message.requestId, message.reason);
        return;
      case 'client-response':
        // Server request ids are per server instance: every call of the session in flight here is offered the
        // answer, and the SDK drops an answer to an id it did not send.
        for (const t of inflightBySession.get(message.session) ?? []) t.onmessage?.(message.message);
        return;
      case 'deleted':
        closeStreamsOf(message.session);
        return;
      case 'get-stream':
        if (message.holder !== replica) getStreams.get(message.session)?.close();
        return;
      case 'list-changed':
        for (const s of getStreams.values()) s.push({ jsonrpc: '2.0', method: `notifications/${message.list}/list_changed` });
        return;
    }
  });

  // A resumed stream asks whether the replica running its call is alive (event-stream.ts).
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const heartbeat = (): void => void store.lease(`replica:${replica}`, replica, heartbeatMs * 3).catch(report);
  heartbeat();
  const heartbeats = setInterval(heartbeat, heartbeatMs);
  heartbeats.unref();
  /** Whether the call of a POST stream died with its replica: then its requests are answered with an error event. */
  const ownerGone = async (session: string, streamId: string): Promise<boolean> => {
    const events = store.events(session);
    const first = (await events.firstEvent(streamId).catch(() => undefined))?.message as { owner?: unknown; requests?: unknown } | undefined;
    if (!first || typeof first.owner !== 'string' || !Array.isArray(first.requests)) return false;
    const requests = first.requests.filter((id): id is RequestId => typeof id === 'string' || typeof id === 'number');
    const alive =
      first.owner === replica
        ? requests.some((id) => inflight.has(inflightKey(session, id)))
        : (await store.leaseHolder(`replica:${first.owner}`).catch(() => first.owner)) === first.owner;
    if (alive) return false;
    for (const id of requests) {
      await events.storeEvent(streamId, { jsonrpc: '2.0', id, error: { code: -32603, message: 'This call ended without an answer (the replica running it stopped): send it again if it is still needed' } });
    }
    return true;
  };

  const reap = async (): Promise<number> => {
    const gone = await store.reap(now());
    for (const id of gone) store.control.publish({ type: 'deleted', session: id });
    return gone.length;
  };
  const reaper = setInterval(() => void reap().catch(report), Math.max(250, Math.min(options.ttlMs / 2, 60_000)));
  reaper.unref();

  // ------------------------------------------------------------ answers
  const notFound = (body: unknown): Response =>
    httpErrorResponse(new HostlensError('session_not_found', 'Session not found: it was deleted, expired or never existed; send initialize to start a new one'), {
      id: requestIdOf(body),
    });
  const refuse = (body: unknown, message: string): Response =>
    httpErrorResponse(new HostlensError('unavailable', message), { id: requestIdOf(body), headers: { 'retry-after': '30' } });

  const sinkFor = (id: string): SubscriptionSink => ({
    add: (uri, max) => store.subscribe(id, uri, max),
    remove: (uri) => store.unsubscribe(id, uri),
  });

  /** The session of a request: its record, touched; undefined when unknown or another principal's. */
  const sessionOf = async (id: string, authInfo: AuthInfo | undefined): Promise<SessionRecord | undefined> => {
    return store.touch(id, principalOf(authInfo).id, now(), options.ttlMs);
  };

  // ------------------------------------------------------------ initialize
  const initialize = async (request: Request, body: unknown, authInfo: AuthInfo | undefined): Promise<Response> => {
    const params = (body as { params: { capabilities?: Record<string, unknown>; clientInfo: SessionRecord['clientInfo'] } }).params;
    const clientCapabilities = params.capabilities ?? {};
    if (JSON.stringify(params.clientInfo).length + JSON.stringify(clientCapabilities).length > MAX_IDENTITY_BYTES) {
      return httpErrorResponse(new HostlensError('invalid_argument', `Invalid params: clientInfo and capabilities must not exceed ${MAX_IDENTITY_BYTES} bytes of JSON`), {
        id: requestIdOf(body),
      });
    }
    const id = randomBytes(16).toString('base64url');
    const server = options.factory({ era: 'legacy', subscriptions: sinkFor(id) });
    // JSON, not SSE: the answer is read here to learn the negotiated version.
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    transport.onerror = report;
    await server.connect(transport);
    let answer: Response;
    try {
      answer = await transport.handleRequest(request, { parsedBody: body, ...(authInfo ? { authInfo } : {}) });
    } finally {
      void transport.close().catch(report);
      void server.close().catch(report);
    }
    const text = await answer.text();
    const protocolVersion = answer.status === 200 ? (JSON.parse(text) as { result?: { protocolVersion?: unknown } }).result?.protocolVersion : undefined;
    if (typeof protocolVersion !== 'string') return new Response(text, { status: answer.status, headers: answer.headers });
    const at = now();
    const record: SessionRecord = {
      id,
      principal: principalOf(authInfo).id,
      tenant: tenantOf(request),
      protocolVersion,
      clientInfo: params.clientInfo,
      clientCapabilities,
      subscriptions: [],
      createdAt: at,
      lastSeen: at,
    };
    const admission = await store.create(record, limits, busy);
    if (!admission.ok) {
      return refuse(
        body,
        admission.scope === 'tenant'
          ? `Session limit reached for this client (${admission.held} open sessions, all in use; maxSessionsPerPrincipal ${admission.limit}); close one or retry later`
          : `Session limit reached (${admission.limit} open sessions); close one or retry later`,
      );
    }
    for (const gone of admission.evicted) store.control.publish({ type: 'deleted', session: gone });
    const headers = new Headers(answer.headers);
    headers.set('mcp-session-id', id);
    return new Response(text, { status: 200, headers });
  };

  // ------------------------------------------------------------ POST in a session
  const post = async (record: SessionRecord, request: Request, body: unknown, authInfo: AuthInfo | undefined): Promise<Response> => {
    if ((Array.isArray(body) ? body : [body]).some((m) => isInitializeRequest(m))) {
      return httpErrorResponse(new HostlensError('invalid_request', 'Invalid Request: Server already initialized'), { id: requestIdOf(body) });
    }
    const ids = requestIdsOf(body);
    if (ids.length === 0) return accept(record, request, body, authInfo);
    const setLevel = levelSetBy(body);
    if (setLevel) await store.setLogLevel(record.id, setLevel);
    const identity = setLevel ? { ...record, logLevel: setLevel } : record;
    const server = options.factory({ era: 'legacy', subscriptions: sinkFor(record.id) });
    await restoreSession(server, identity);
    const release = hold(record.id, record.principal);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const id of ids) if (inflight.get(inflightKey(record.id, id)) === transport) inflight.delete(inflightKey(record.id, id));
      const mine = inflightBySession.get(record.id);
      if (mine?.delete(transport) && mine.size === 0) inflightBySession.delete(record.id);
      release();
      void transport.close().catch(report);
      void server.close().catch(report);
    };
    // A POST stream's priming event names this replica and the requests, so a client resuming elsewhere can learn
    // that the call died with its replica (ownerGone).
    const events = store.events(record.id);
    const eventStore: EventStore = {
      storeEvent: (streamId, message) =>
        events.storeEvent(streamId, Object.keys(message).length === 0 ? ({ owner: replica, requests: ids } as unknown as JSONRPCMessage) : message),
      getStreamIdForEventId: (eventId) => events.getStreamIdForEventId(eventId),
      replayEventsAfter: (eventId, sink) => events.replayEventsAfter(eventId, sink),
    };
    const transport = new RequestTransport(
      {
        eventStore,
        keepAliveMs,
        ...(options.retryMs !== undefined ? { retryInterval: options.retryMs } : {}),
      },
      ids,
      finish,
    );
    transport.onerror = report;
    await server.connect(transport);
    for (const id of ids) inflight.set(inflightKey(record.id, id), transport);
    if (ids.length > 0) {
      let mine = inflightBySession.get(record.id);
      if (!mine) inflightBySession.set(record.id, (mine = new Set()));
      mine.add(transport);
    }
    let response: Response;
    try {
      response = await transport.handleRequest(request, { parsedBody: body, ...(authInfo ? { authInfo } : {}) });
    } catch (error) {
      finish();
      throw error;
    }
    // A 2025-03-26 batch may carry notifications and answers beside its requests.
    forwardToCalls(store.control, record.id, body);
    // Refusals and JSON answers are complete; an SSE answer finishes with its last response.
    if (!/^text\/event-stream/i.test(response.headers.get('content-type') ?? '')) finish();
    return response;
  };

  /**
   * Notifications and responses only: no server is built. The transport checks them like any POST and answers
   * 202; what they mean for a call in flight (cancel, a client's answer) reaches it through the control channel.
   */
  const accept = async (record: SessionRecord, request: Request, body: unknown, authInfo: AuthInfo | undefined): Promise<Response> => {
    const transport = new RequestTransport({}, [], () => undefined);
    transport.onerror = report;
    const response = await transport.handleRequest(request, { parsedBody: body, ...(authInfo ? { authInfo } : {}) });
    void transport.close().catch(report);
    if (response.status === 202) forwardToCalls(store.control, record.id, body);
    return response;
  };

  // ------------------------------------------------------------ GET: the standalone stream, or a resumed one
  const get = async (record: SessionRecord, request: Request): Promise<Response> => {
    if (!(request.headers.get('accept') ?? '').includes('text/event-stream')) {
      return httpErrorResponse(new HostlensError('not_acceptable', 'Not Acceptable: Client must accept text/event-stream'));
    }
    const version = request.headers.get('mcp-protocol-version');
    if (version !== null && !LEGACY_VERSIONS.has(version)) return unsupportedVersion(version);
    const events = store.events(record.id);
    const lastEventId = request.headers.get('last-event-id') ?? undefined;
    const streamId = lastEventId !== undefined ? await events.getStreamIdForEventId(lastEventId) : GET_STREAM_ID;
    if (streamId === undefined) return httpErrorResponse(new HostlensError('bad_request', 'Bad Request: unknown Last-Event-ID for this session'));
    const standalone = streamId === GET_STREAM_ID;
    if (standalone) {
      const existing = getStreams.get(record.id);
      if (existing && lastEventId === undefined) {
        return httpErrorResponse(new HostlensError('conflict', 'Conflict: Only one SSE stream is allowed per session'));
      }
      existing?.close();
    }
    const release = hold(record.id, record.principal);
    let stream: EventStream | undefined;
    const onclose = (): void => {
      release();
      if (stream) {
        streams.get(record.id)?.delete(stream);
        if (streams.get(record.id)?.size === 0) streams.delete(record.id);
        if (getStreams.get(record.id) === stream) getStreams.delete(record.id);
      }
    };
    try {
      stream = await openEventStream({
        events,
        streamId,
        ...(lastEventId !== undefined ? { lastEventId } : {}),
        priming: lastEventId === undefined && (version ?? record.protocolVersion) >= '2025-11-25',
        ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
        keepAliveMs,
        endOnResponse: !standalone,
        ...(!standalone ? { ownerGone: () => ownerGone(record.id, streamId), ownerCheckMs: heartbeatMs * 2 } : {}),
        onclose,
      });
    } catch (error) {
      release();
      throw error;
    }
    let set = streams.get(record.id);
    if (!set) streams.set(record.id, (set = new Set()));
    set.add(stream);
    if (standalone) {
      getStreams.set(record.id, stream);
      store.control.publish({ type: 'get-stream', session: record.id, holder: replica });
    }
    return stream.response;
  };

  const handle = async (request: Request, body: unknown, authInfo: AuthInfo | undefined): Promise<Response> => {
    const id = request.headers.get('mcp-session-id');
    if (id === null) {
      if (request.method === 'POST' && isInitializeRequest(body)) return initialize(request, body, authInfo);
      if (request.method === 'POST' && (body as { method?: unknown } | null)?.method === 'initialize') {
        return httpErrorResponse(new HostlensError('invalid_argument', 'Invalid params: initialize needs protocolVersion, capabilities and clientInfo'), { id: requestIdOf(body) });
      }
      return httpErrorResponse(new HostlensError('bad_request', 'Bad Request: Mcp-Session-Id header is required'), { id: requestIdOf(body) });
    }
    // Ids this server issues are 22 base64url characters: anything else is unknown without asking the store.
    if (!SESSION_ID.test(id)) return notFound(body);
    if (request.method === 'DELETE') {
      const record = await store.get(id);
      if (!record || record.principal !== principalOf(authInfo).id) return notFound(body);
      const version = request.headers.get('mcp-protocol-version');
      if (version !== null && !LEGACY_VERSIONS.has(version)) return unsupportedVersion(version);
      await store.delete(id);
      store.control.publish({ type: 'deleted', session: id });
      return new Response(null, { status: 200 });
    }
    const record = await sessionOf(id, authInfo);
    if (!record) return notFound(body);
    const response = request.method === 'GET' ? await get(record, request) : await post(record, request, body, authInfo);
    // As a stateful SDK transport does: every answer in a session names it.
    if (response.ok && !response.headers.has('mcp-session-id')) {
      try {
        response.headers.set('mcp-session-id', id);
      } catch {
        // immutable headers: the id is only informative here
      }
    }
    return response;
  };

  return {
    async handle(request, body, authInfo) {
      try {
        return await handle(request, body, authInfo);
      } catch (error) {
        if (!(error instanceof HostlensError) || error.code !== 'unavailable') throw error;
        // The store cannot be reached: a clear 503 the client may retry; nothing was changed.
        return httpErrorResponse(new HostlensError('unavailable', 'Service Unavailable: the session store cannot be reached; retry shortly', { cause: error }), {
          id: requestIdOf(body),
          headers: { 'retry-after': String(STORE_RETRY_AFTER_SEC) },
        });
      }
    },
    count: () => store.count(),
    countOf: (tenant) => store.countOf(tenant),
    owns: async (id, principal) => (await store.get(id).catch(() => undefined))?.principal === principal,
    subscribers: (uri) => store.subscribers(uri),
    reap,
    async resourceUpdated(uri) {
      const ids = await store.subscribers(uri);
      const message = { jsonrpc: '2.0' as const, method: 'notifications/resources/updated', params: { uri } };
      await Promise.all(ids.map((id) => store.events(id).storeEvent(GET_STREAM_ID, message).catch(report)));
    },
    listChanged: (list) => store.control.publish({ type: 'list-changed', list }),
    async closeAll() {
      clearInterval(reaper);
      clearInterval(heartbeats);
      unsubscribeControl();
      for (const set of [...streams.values()]) for (const s of [...set]) s.close();
      for (const h of held.values()) clearInterval(h.timer);
      held.clear();
    },
  };
}
