/**
 * The session store: where a legacy (2025-era) session lives once it is a
 * record rather than an object, so any replica can serve any request of it.
 * Two implementations behind this one interface: memory (embedded, one
 * process) and Redis (shared by replicas). Everything a replica needs from
 * its peers goes through here: the records and their caps, each session's
 * resumable SSE events, the cluster's control messages and the 2026-07-28
 * change bus.
 *
 * Errors: when the backing service cannot answer, every async method rejects
 * with HostlensError('unavailable') (HTTP 503 with Retry-After) and changes
 * nothing; health() says why.
 */
import type { ClientCapabilities, EventId, EventStore, Implementation, JSONRPCMessage, LoggingLevel, ServerEventBus, StreamId } from '@modelcontextprotocol/server';

/** One legacy session, as every replica sees it. Times are ms since the epoch. */
export interface SessionRecord {
  /** 128 random bits, base64url (22 characters); never authentication on its own. */
  id: string;
  /** Principal.id of whoever sent initialize: every later request must come from the same principal. */
  principal: string;
  /** The tenant (server/tenant.ts) the session counts against for the per-tenant cap. */
  tenant: string;
  /** The version negotiated by initialize. */
  protocolVersion: string;
  clientInfo: Implementation;
  clientCapabilities: ClientCapabilities;
  /** Set by logging/setLevel; absent = the SDK's default (every level). */
  logLevel?: LoggingLevel;
  /** Resource URIs of successful resources/subscribe calls, not since unsubscribed (at most MAX_SUBSCRIPTIONS_PER_SESSION). */
  subscriptions: string[];
  createdAt: number;
  lastSeen: number;
}

export interface SessionLimits {
  /** Sessions in the whole store (all replicas). */
  maxSessions: number;
  /** Sessions one tenant may hold. */
  maxPerTenant: number;
  /** Idle time after which a session is gone (sliding: every touch restarts it). */
  ttlMs: number;
}

/**
 * The answer to create(). Refused: `scope` says which cap, `held` how many
 * sessions that scope holds, `limit` the cap.
 */
export type Admission = { ok: true; evicted: string[] } | { ok: false; scope: 'tenant' | 'total'; held: number; limit: number };

/**
 * A session's resumable SSE events (the SDK's EventStore, scoped to one
 * session). Event ids are `<tag>.<streamId>.<seq>` (event-ids.ts): the tag is
 * derived from the session id, so an id from another session is unknown here
 * (GHSA-84j6-jc92-77jm), and seq increases within a stream.
 * Each stream keeps its newest `maxEventsPerStream` events; a session's
 * events expire with it.
 */
export interface SessionEvents extends EventStore {
  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined>;
  /**
   * Calls `listener` for every event stored in this session from now on (any
   * replica), in order per stream. Resolves once the subscription is live, so
   * a replay started after it misses nothing (duplicates are told apart by seq).
   */
  follow(listener: (event: StoredEvent) => void): Promise<() => void>;
  /** The oldest event still kept of a stream (a POST stream's priming event names the replica running its call). */
  firstEvent(streamId: StreamId): Promise<StoredEvent | undefined>;
}

export interface StoredEvent {
  eventId: EventId;
  streamId: StreamId;
  seq: number;
  message: JSONRPCMessage;
}

/** Cluster-wide messages between replicas (memory: within the process). */
export type ControlMessage =
  /** notifications/cancelled reached a replica other than the one running the call. */
  | { type: 'cancel'; session: string; requestId: string | number; reason?: string }
  /** A GET stream of `session` was (re)opened by `holder`: any other holder closes its stream. */
  | { type: 'get-stream'; session: string; holder: string }
  /** The session was deleted (DELETE, eviction, expiry): close its streams. */
  | { type: 'deleted'; session: string }
  /** The client answered a server request (sampling, elicitation) of a call that may run on another replica. */
  | { type: 'client-response'; session: string; message: JSONRPCMessage }
  /** The tool, prompt or resource list changed: tell every open legacy GET stream. */
  | { type: 'list-changed'; list: 'tools' | 'prompts' | 'resources' };

export interface ControlChannel {
  /** Delivers to every subscriber in every replica, this one included (at once, even when the backing service is down). */
  publish(message: ControlMessage): void;
  subscribe(listener: (message: ControlMessage) => void): () => void;
}

export interface StoreHealth {
  ok: boolean;
  /** Why not (never a password or a session id). */
  detail?: string;
}

export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Adds `record` (a new id) unless a cap forbids it. Expired sessions are
   * dropped first. At the tenant's cap, its least recently seen session for
   * which `busy` is false is evicted; at the total cap, the least recently
   * seen non-busy session of the tenant holding the most sessions (more than
   * this tenant would after admission). Evicted ids are returned. `busy`
   * knows this replica only: a session with a request in flight elsewhere
   * counts as idle.
   */
  create(record: SessionRecord, limits: SessionLimits, busy: (id: string) => boolean): Promise<Admission>;
  /** The record without touching it; undefined when unknown or expired. */
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * The record with lastSeen = now and its expiry pushed to now + ttlMs, when
   * `principal` opened it; undefined (and nothing changed) when unknown,
   * expired or another principal's: a leaked id must not keep a session alive.
   */
  touch(id: string, principal: string, now: number, ttlMs: number): Promise<SessionRecord | undefined>;
  /** Changes the log level of a live session (no-op when gone). */
  setLogLevel(id: string, level: LoggingLevel): Promise<void>;
  /**
   * Adds `uri` to the session's subscriptions: 'added', 'present' (already
   * there), 'full' (it holds `max` others), 'gone' (no such session).
   */
  subscribe(id: string, uri: string, max: number): Promise<'added' | 'present' | 'full' | 'gone'>;
  unsubscribe(id: string, uri: string): Promise<void>;
  /** Ids of live sessions subscribed to `uri`. */
  subscribers(uri: string): Promise<string[]>;
  /** Removes the session, its subscriptions and its events; true if it existed. */
  delete(id: string): Promise<boolean>;
  /** Live sessions (expired ones not counted). */
  count(): Promise<number>;
  countOf(tenant: string): Promise<number>;
  /** Drops sessions idle past their expiry (memory; Redis expires keys itself and prunes its indexes); returns their ids. */
  reap(now: number): Promise<string[]>;
  /** The session's event store (cheap: no I/O until used). */
  events(id: string): SessionEvents;
  /**
   * Takes one token from `key`'s bucket (rate limits across replicas).
   * Absent: the store cannot share buckets and the caller keeps its own.
   */
  takeToken?(key: string, requestsPerSec: number, burst: number): Promise<{ allowed: true } | { allowed: false; retryAfterSec: number }>;
  /**
   * Takes or renews the lease `key` for `holder` (any replica) for `ttlMs`:
   * true while `holder` holds it. Replicas watching the same host see the
   * same change; only the lease holder announces it, and another takes over
   * within one TTL when it dies.
   */
  lease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Who holds the lease `key` now, if anyone. */
  leaseHolder(key: string): Promise<string | undefined>;
  readonly control: ControlChannel;
  /** The 2026-07-28 change bus (createMcpHandler's `bus`); publishes deliver locally even when the backing service is down. */
  readonly bus: ServerEventBus;
  health(): StoreHealth;
  close(): Promise<void>;
}
