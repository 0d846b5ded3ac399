/**
 * The embedded session store (`--store memory`, the default): one process,
 * nothing to install. Records are plain objects in a Map (≈ 1 KiB each with
 * the SDK client's capabilities; the bench measures RSS per idle session),
 * expired by a reaper the session manager runs. Events live in one
 * process-wide table bounded in bytes, so 10,000 sessions cannot hold
 * 10,000 × their own budget.
 */
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import type { JSONRPCMessage, LoggingLevel } from '@modelcontextprotocol/server';
import { formatEventId, parseEventId, sessionTag } from './event-ids.js';
import type { Admission, ControlChannel, ControlMessage, SessionEvents, SessionLimits, SessionRecord, SessionStore, StoredEvent } from './types.js';

interface MemoryStoreOptions {
  /** Newest events kept per stream (default 100). */
  maxEventsPerStream?: number;
  /** Streams kept per session, oldest dropped first (default 16). */
  maxStreamsPerSession?: number;
  /** Serialized event bytes held over every session, oldest stream dropped first (default 64 MiB). */
  maxEventBytes?: number;
  onerror?: (error: Error) => void;
}

interface Entry {
  record: SessionRecord;
  expiresAt: number;
}

interface StreamLog {
  session: string;
  events: Array<StoredEvent & { bytes: number }>;
}

interface SessionLog {
  seq: number;
  /** Stream keys of this session, oldest first. */
  streams: string[];
  listeners: Set<(event: StoredEvent) => void>;
}

export const DEFAULT_MAX_EVENTS_PER_STREAM = 100;
export const DEFAULT_MAX_STREAMS_PER_SESSION = 16;
const DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024;

export function createMemoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const maxEvents = options.maxEventsPerStream ?? DEFAULT_MAX_EVENTS_PER_STREAM;
  const maxStreams = options.maxStreamsPerSession ?? DEFAULT_MAX_STREAMS_PER_SESSION;
  const maxBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const entries = new Map<string, Entry>();
  const byTenant = new Map<string, Set<string>>();
  const byUri = new Map<string, Set<string>>();
  // Every stream of every session in insertion order (key `<session> <streamId>`): the byte bound drops the oldest.
  const streams = new Map<string, StreamLog>();
  const logs = new Map<string, SessionLog>();
  let bytes = 0;
  /** lease(): who holds each key, until when. */
  const leases = new Map<string, { holder: string; until: number }>();

  const live = (id: string, now = Date.now()): Entry | undefined => {
    const e = entries.get(id);
    if (!e) return undefined;
    if (e.expiresAt > now) return e;
    remove(id);
    return undefined;
  };

  const dropStream = (key: string): void => {
    const log = streams.get(key);
    if (!log) return;
    for (const e of log.events) bytes -= e.bytes;
    streams.delete(key);
    const s = logs.get(log.session);
    if (s) s.streams = s.streams.filter((k) => k !== key);
  };

  const remove = (id: string): boolean => {
    const e = entries.get(id);
    if (!e) return false;
    entries.delete(id);
    const set = byTenant.get(e.record.tenant);
    if (set?.delete(id) && set.size === 0) byTenant.delete(e.record.tenant);
    for (const uri of e.record.subscriptions) {
      const subs = byUri.get(uri);
      if (subs?.delete(id) && subs.size === 0) byUri.delete(uri);
    }
    const log = logs.get(id);
    if (log) {
      for (const key of [...log.streams]) dropStream(key);
      logs.delete(id);
    }
    return true;
  };

  const reapAll = (now: number): string[] => {
    const gone: string[] = [];
    for (const [id, e] of entries) if (e.expiresAt <= now) gone.push(id);
    for (const id of gone) remove(id);
    return gone;
  };

  /** Least recently seen session among `ids` that is not busy. */
  const oldestIdle = (ids: Iterable<string>, busy: (id: string) => boolean): string | undefined => {
    let best: Entry | undefined;
    for (const id of ids) {
      const e = entries.get(id);
      if (e && !busy(id) && (!best || e.record.lastSeen < best.record.lastSeen)) best = e;
    }
    return best?.record.id;
  };

  const sessionEvents = (id: string): SessionEvents => {
    const tag = sessionTag(id);
    const logOf = (): SessionLog => {
      let log = logs.get(id);
      if (!log) logs.set(id, (log = { seq: 0, streams: [], listeners: new Set() }));
      return log;
    };
    const lookup = (eventId: string): { streamId: string; seq: number; log: StreamLog } | undefined => {
      const p = parseEventId(eventId);
      if (!p || p.tag !== tag) return undefined;
      const log = streams.get(`${id} ${p.streamId}`);
      return log ? { streamId: p.streamId, seq: p.seq, log } : undefined;
    };
    return {
      async storeEvent(streamId, message: JSONRPCMessage) {
        const log = logOf();
        const key = `${id} ${streamId}`;
        let stream = streams.get(key);
        if (!stream) {
          while (log.streams.length >= maxStreams) dropStream(log.streams[0] as string);
          stream = { session: id, events: [] };
          streams.set(key, stream);
          log.streams.push(key);
        }
        log.seq += 1;
        const event: StoredEvent = { eventId: formatEventId(tag, streamId, log.seq), streamId, seq: log.seq, message };
        const size = JSON.stringify(message).length;
        stream.events.push({ ...event, bytes: size });
        bytes += size;
        if (stream.events.length > maxEvents) bytes -= stream.events.shift()?.bytes ?? 0;
        while (bytes > maxBytes && streams.size > 1) {
          const oldest = streams.keys().next().value as string;
          if (oldest === key) break;
          dropStream(oldest);
        }
        for (const listener of log.listeners) {
          try {
            listener(event);
          } catch (error) {
            options.onerror?.(error instanceof Error ? error : new Error(String(error)));
          }
        }
        return event.eventId;
      },
      async getStreamIdForEventId(eventId) {
        return lookup(eventId)?.streamId;
      },
      async replayEventsAfter(lastEventId, { send }) {
        const found = lookup(lastEventId);
        if (!found) throw new Error('unknown event id');
        for (const e of [...found.log.events]) if (e.seq > found.seq) await send(e.eventId, e.message);
        return found.streamId;
      },
      async firstEvent(streamId) {
        const first = streams.get(`${id} ${streamId}`)?.events[0];
        return first && { eventId: first.eventId, streamId: first.streamId, seq: first.seq, message: first.message };
      },
      async follow(listener) {
        const log = logOf();
        log.listeners.add(listener);
        return () => {
          log.listeners.delete(listener);
          if (log.listeners.size === 0 && log.streams.length === 0 && !entries.has(id)) logs.delete(id);
        };
      },
    };
  };

  const listeners = new Set<(message: ControlMessage) => void>();
  const control: ControlChannel = {
    publish(message) {
      for (const l of [...listeners]) {
        try {
          l(message);
        } catch (error) {
          options.onerror?.(error instanceof Error ? error : new Error(String(error)));
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };

  return {
    kind: 'memory',
    async create(record: SessionRecord, limits: SessionLimits, busy): Promise<Admission> {
      const now = record.lastSeen;
      if (entries.size >= limits.maxSessions || (byTenant.get(record.tenant)?.size ?? 0) >= limits.maxPerTenant) reapAll(now);
      // Both victims are chosen before either is removed: a refusal changes nothing.
      const mine = byTenant.get(record.tenant);
      let own: string | undefined;
      if ((mine?.size ?? 0) >= limits.maxPerTenant) {
        own = oldestIdle(mine ?? [], busy);
        if (!own) return { ok: false, scope: 'tenant', held: mine?.size ?? 0, limit: limits.maxPerTenant };
      }
      let other: string | undefined;
      if (entries.size - (own ? 1 : 0) >= limits.maxSessions) {
        const after = (mine?.size ?? 0) - (own ? 1 : 0) + 1;
        const holders = [...byTenant.values()].filter((set) => set.size > after).sort((a, b) => b.size - a.size);
        for (const set of holders) if ((other = oldestIdle(set, busy))) break;
        if (!other) return { ok: false, scope: 'total', held: entries.size, limit: limits.maxSessions };
      }
      const evicted = [own, other].filter((id): id is string => id !== undefined);
      for (const id of evicted) remove(id);
      entries.set(record.id, { record: copy(record), expiresAt: now + limits.ttlMs });
      let set = byTenant.get(record.tenant);
      if (!set) byTenant.set(record.tenant, (set = new Set()));
      set.add(record.id);
      for (const uri of record.subscriptions) addIndex(uri, record.id);
      return { ok: true, evicted };
    },
    async get(id) {
      const e = live(id);
      return e && copy(e.record);
    },
    async touch(id, principal, now, ttlMs) {
      const e = live(id, now);
      if (!e || e.record.principal !== principal) return undefined;
      e.record.lastSeen = now;
      e.expiresAt = now + ttlMs;
      return copy(e.record);
    },
    async setLogLevel(id, level: LoggingLevel) {
      const e = live(id);
      if (e) e.record.logLevel = level;
    },
    async subscribe(id, uri, max) {
      const e = live(id);
      if (!e) return 'gone';
      if (e.record.subscriptions.includes(uri)) return 'present';
      if (e.record.subscriptions.length >= max) return 'full';
      e.record.subscriptions.push(uri);
      addIndex(uri, id);
      return 'added';
    },
    async unsubscribe(id, uri) {
      const e = live(id);
      if (!e) return;
      e.record.subscriptions = e.record.subscriptions.filter((u) => u !== uri);
      const subs = byUri.get(uri);
      if (subs?.delete(id) && subs.size === 0) byUri.delete(uri);
    },
    async subscribers(uri) {
      const now = Date.now();
      return [...(byUri.get(uri) ?? [])].filter((id) => live(id, now) !== undefined);
    },
    async delete(id) {
      return live(id) !== undefined && remove(id);
    },
    async count() {
      reapAll(Date.now());
      return entries.size;
    },
    async countOf(tenant) {
      reapAll(Date.now());
      return byTenant.get(tenant)?.size ?? 0;
    },
    async lease(key, holder, ttlMs) {
      const now = Date.now();
      const cur = leases.get(key);
      if (cur && cur.until > now && cur.holder !== holder) return false;
      leases.set(key, { holder, until: now + ttlMs });
      return true;
    },
    async leaseHolder(key) {
      const cur = leases.get(key);
      return cur && cur.until > Date.now() ? cur.holder : undefined;
    },
    async reap(now) {
      return reapAll(now);
    },
    events: sessionEvents,
    control,
    bus: new InMemoryServerEventBus(options.onerror),
    health: () => ({ ok: true }),
    async close() {
      for (const id of [...entries.keys()]) remove(id);
      listeners.clear();
    },
  };

  /** Callers get their own copy: a record changed by a caller must not change the store (Redis hands out copies too). */
  function copy(record: SessionRecord): SessionRecord {
    return { ...record, subscriptions: [...record.subscriptions] };
  }

  function addIndex(uri: string, id: string): void {
    let subs = byUri.get(uri);
    if (!subs) byUri.set(uri, (subs = new Set()));
    subs.add(id);
  }
}
