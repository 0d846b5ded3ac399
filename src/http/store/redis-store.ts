/**
 * The shared session store (`--store redis`): every replica behind the load
 * balancer reads and writes the same records, caps, events and channels, so
 * any replica can serve any request of any session. Semantics mirror
 * memory-store.ts; the key layout and the atomic steps are in
 * redis-scripts.ts, the connections in redis-connection.ts.
 *
 * Pub/sub messages that every replica also delivers locally (control, bus)
 * carry this store's random origin: a replica delivers its own messages
 * synchronously at publish (even with Redis down) and ignores their echo, so
 * each process sees each message exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { JSONRPCMessage, ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import { formatEventId, GET_STREAM_ID, parseEventId, sessionTag } from './event-ids.js';
import { connect } from './redis-connection.js';
import type { StoreClient } from './redis-connection.js';
import { CANDIDATE_PAGE } from './redis-scripts.js';
import { DEFAULT_MAX_EVENTS_PER_STREAM, DEFAULT_MAX_STREAMS_PER_SESSION } from './memory-store.js';
import type { Admission, ControlChannel, ControlMessage, SessionEvents, SessionRecord, SessionStore, StoreHealth, StoredEvent } from './types.js';

export interface RedisStoreOptions {
  /** redis://[[user]:password@]host[:port][/db] or rediss://… */
  url: string;
  /** Prefix of every key and channel (default 'hostlens:'): several deployments can share one Redis. */
  keyPrefix?: string;
  /** Lifetime of a session's events after their last write: the session TTL. */
  eventTtlMs: number;
  /** Newest events kept per stream (default 100). */
  maxEventsPerStream?: number;
  /** Streams kept per session, oldest dropped first (default 16, as in the memory store). */
  maxStreamsPerSession?: number;
  /** How long startup keeps trying to reach Redis (default 10 s). */
  connectRetryMs?: number;
  /** Bound on each command's reply (default 2 s). */
  commandTimeoutMs?: number;
  onerror?: (error: Error) => void;
  onstate?: (health: StoreHealth) => void;
}

const DEFAULT_PREFIX = 'hostlens:';
const REAP_BATCH = 1_000;
/** How long close() waits for pipelined event writes. */
const CLOSE_FLUSH_MS = 2_000;
/** Script runs per create: candidate pages plus re-checks lost to concurrent replicas. */
const MAX_CREATE_ROUNDS = 64;

type RecordParts = [string | null, string | null, string | null, string | null] | null;

export async function connectRedisStore(options: RedisStoreOptions): Promise<SessionStore> {
  const P = options.keyPrefix ?? DEFAULT_PREFIX;
  const maxEvents = options.maxEventsPerStream ?? DEFAULT_MAX_EVENTS_PER_STREAM;
  const maxStreams = options.maxStreamsPerSession ?? DEFAULT_MAX_STREAMS_PER_SESSION;
  const conn = await connect({
    url: options.url,
    connectRetryMs: options.connectRetryMs ?? 10_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 2_000,
    onerror: options.onerror,
    onstate: options.onstate,
  });
  const { cmd, sub } = conn;
  const origin = randomUUID();
  /** Seqs of single-writer streams: microseconds since the epoch, strictly increasing in this process (< 2^53 until 2255). */
  let lastSeq = 0;
  const nextSeq = (): number => (lastSeq = Math.max(Date.now() * 1000, lastSeq + 1));
  let closed = false;

  const report = (error: unknown): void => {
    options.onerror?.(error instanceof Error ? new Error(conn.scrub(error.message)) : new Error(conn.scrub(String(error))));
  };
  const run = async <T>(op: (c: StoreClient) => Promise<unknown>): Promise<T> => {
    if (closed) throw conn.unavailable(Object.assign(new Error('closed'), { name: 'ClientClosedError' }));
    try {
      return (await op(cmd)) as T;
    } catch (error) {
      throw conn.unavailable(error);
    }
  };
  const deliver = <T>(listeners: Iterable<(m: T) => void>, message: T): void => {
    for (const l of [...listeners]) {
      try {
        l(message);
      } catch (error) {
        report(error);
      }
    }
  };

  const toRecord = (parts: RecordParts): SessionRecord | undefined => {
    if (!parts || parts[0] === null) return undefined;
    const [fixed, seen, level, subs] = parts;
    const record = { ...JSON.parse(fixed), lastSeen: Number(seen), subscriptions: subs ? (JSON.parse(subs) as string[]) : [] } as SessionRecord;
    if (level) record.logLevel = level as SessionRecord['logLevel'];
    return record;
  };

  /** A channel every replica publishes to; local listeners get our own messages at publish, never their echo. */
  const sharedChannel = async <T>(name: string) => {
    const listeners = new Set<(message: T) => void>();
    await sub.subscribe(name, (raw) => {
      try {
        const { o, m } = JSON.parse(raw) as { o: string; m: T };
        if (o !== origin) deliver(listeners, m);
      } catch (error) {
        report(error);
      }
    });
    return {
      publish(message: T): void {
        deliver(listeners, message);
        if (closed) return;
        // With Redis down the loss is already in health(); peers miss this message.
        cmd.publish(name, JSON.stringify({ o: origin, m: message })).catch((error: unknown) => {
          if (conn.health().ok) report(error);
        });
      },
      subscribe(listener: (message: T) => void): () => void {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      clear: () => listeners.clear(),
    };
  };
  let control: Awaited<ReturnType<typeof sharedChannel<ControlMessage>>>;
  let bus: Awaited<ReturnType<typeof sharedChannel<ServerEvent>>>;
  try {
    control = await sharedChannel<ControlMessage>(`${P}control`);
    bus = await sharedChannel<ServerEvent>(`${P}bus`);
  } catch (error) {
    await conn.close();
    throw conn.unavailable(error);
  }

  /** Event writes of each session still in flight from this process, chained in order. */
  const pending = new Map<string, Promise<void>>();
  /** This process's event writes of session `id` have landed (reads and deletes here see them). */
  const landed = async (id: string): Promise<void> => void (await pending.get(id));
  /** Followers of each session in this process: one Redis subscription per session. */
  const follows = new Map<string, { listeners: Set<(e: StoredEvent) => void>; ready: Promise<void>; handler: (raw: string) => void }>();
  const eventChannel = (tag: string): string => `${P}ev:${tag}`;

  const sessionEvents = (id: string): SessionEvents => {
    const tag = sessionTag(id);
    const channel = eventChannel(tag);
    const settled = (): Promise<void> => landed(id);
    const mine = (eventId: string) => {
      const p = parseEventId(eventId);
      return p && p.tag === tag ? p : undefined;
    };
    return {
      async storeEvent(streamId, message: JSONRPCMessage) {
        const store = (seq: string) =>
          run<string | number>((c) => c.hlStoreEvent(P, id, streamId, JSON.stringify(message), String(maxEvents), String(options.eventTtlMs), String(maxStreams), channel, seq));
        // The GET stream has many writers (any replica stores updates for it): its seq comes from Redis.
        if (streamId === GET_STREAM_ID) return formatEventId(tag, streamId, Number(await store('')));
        // A POST stream has one writer, the replica running its call: the seq is taken here and the write is
        // pipelined, not awaited, so the answer is not held for a round trip per event (the SDK awaits this
        // before it writes the event). A resumer on another replica follows the session before it replays,
        // so a write still in flight reaches it by pub/sub.
        // Writes of a session are chained, so they land in order even when a script is re-sent after NOSCRIPT.
        const seq = nextSeq();
        const write = (pending.get(id) ?? Promise.resolve()).then(() => store(String(seq))).then(() => undefined, report);
        pending.set(id, write);
        void write.then(() => {
          if (pending.get(id) === write) pending.delete(id);
        });
        return formatEventId(tag, streamId, seq);
      },
      async getStreamIdForEventId(eventId) {
        await settled();
        const p = mine(eventId);
        if (!p) return undefined;
        const n = await run<number>((c) => c.exists(`${P}ex:${id}:${p.streamId}`));
        return n === 1 ? p.streamId : undefined;
      },
      async replayEventsAfter(lastEventId, { send }) {
        await settled();
        const p = mine(lastEventId);
        if (!p) throw new Error('unknown event id');
        const entries = await run<Array<[string, string[]]> | null>((c) => c.hlReplay(P, id, p.streamId, String(p.seq)));
        if (!entries) throw new Error('unknown event id');
        for (const [entryId, fields] of entries) {
          const seq = Number(entryId.slice(0, entryId.indexOf('-')));
          const json = fields[fields.indexOf('m') + 1] as string;
          await send(formatEventId(tag, p.streamId, seq), JSON.parse(json) as JSONRPCMessage);
        }
        return p.streamId;
      },
      async firstEvent(streamId) {
        await settled();
        const [first] = await run<Array<{ id: string; message: Record<string, string> }>>((c) => c.xRange(`${P}ex:${id}:${streamId}`, '-', '+', { COUNT: 1 }));
        if (!first || first.message.m === undefined) return undefined;
        const seq = Number(first.id.slice(0, first.id.indexOf('-')));
        return { eventId: formatEventId(tag, streamId, seq), streamId, seq, message: JSON.parse(first.message.m) as JSONRPCMessage };
      },
      async follow(listener) {
        // A subscription that exists but is down (node-redis restores it on reconnect) is not live.
        if (closed || !sub.isReady) throw conn.unavailable(Object.assign(new Error('offline'), { name: closed ? 'ClientClosedError' : 'ClientOfflineError' }));
        let entry = follows.get(id);
        if (!entry) {
          const listeners = new Set<(e: StoredEvent) => void>();
          const handler = (raw: string): void => {
            const a = raw.indexOf('\n');
            const b = raw.indexOf('\n', a + 1);
            const seq = Number(raw.slice(0, a));
            const streamId = raw.slice(a + 1, b);
            let message: JSONRPCMessage;
            try {
              message = JSON.parse(raw.slice(b + 1)) as JSONRPCMessage;
            } catch (error) {
              return report(error);
            }
            deliver(listeners, { eventId: formatEventId(tag, streamId, seq), streamId, seq, message });
          };
          const created = { listeners, handler, ready: sub.subscribe(channel, handler) };
          entry = created;
          follows.set(id, created);
          created.ready.catch(() => {
            if (follows.get(id) === created) follows.delete(id);
          });
        }
        try {
          await entry.ready;
        } catch (error) {
          throw conn.unavailable(error);
        }
        const current = entry;
        current.listeners.add(listener);
        return () => {
          if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
          if (follows.get(id) === current) follows.delete(id);
          // Only this entry's handler: a newer follower of the session may have subscribed meanwhile.
          if (!closed) sub.unsubscribe(channel, current.handler).catch(report);
        };
      },
    };
  };

  const busApi: ServerEventBus = { publish: (e) => bus.publish(e), subscribe: (l) => bus.subscribe(l) };
  const controlApi: ControlChannel = { publish: (m) => control.publish(m), subscribe: (l) => control.subscribe(l) };

  return {
    kind: 'redis',
    async create(record, limits, busy): Promise<Admission> {
      const { lastSeen, logLevel, subscriptions, ...fixed } = record;
      const args = [
        P,
        record.id,
        record.tenant,
        String(lastSeen),
        String(lastSeen + limits.ttlMs),
        String(limits.maxSessions),
        String(limits.maxPerTenant),
        JSON.stringify(fixed),
        logLevel ?? '',
        JSON.stringify(subscriptions),
      ];
      // Two phases because `busy` is local: the script names the oldest candidates without
      // changing anything, then re-runs with the pick and re-checks it atomically.
      let pickT = '';
      let pickA = '';
      let offset = 0;
      let last: Admission = { ok: false, scope: 'total', held: 0, limit: limits.maxSessions };
      for (let round = 0; round < MAX_CREATE_ROUNDS; round++) {
        const [kind, held, ids] = await run<[string, number, string[]]>((c) => c.hlCreate(...args, pickT, pickA, String(offset)));
        if (kind === 'ok') return { ok: true, evicted: ids };
        const idle = ids.find((candidate) => !busy(candidate));
        if (kind === 'tenant') {
          last = { ok: false, scope: 'tenant', held, limit: limits.maxPerTenant };
          if (idle) [pickT, offset] = [idle, 0];
          else if (ids.length === CANDIDATE_PAGE) offset += CANDIDATE_PAGE;
          else return last;
        } else {
          last = { ok: false, scope: 'total', held, limit: limits.maxSessions };
          if (!idle) return last;
          pickA = idle;
        }
      }
      return last;
    },
    async get(id) {
      return toRecord(await run<RecordParts>((c) => c.hlGet(P, id, String(Date.now()))));
    },
    async touch(id, principal, now, ttlMs) {
      return toRecord(await run<RecordParts>((c) => c.hlTouch(P, id, String(now), String(now + ttlMs), String(ttlMs), principal)));
    },
    async setLogLevel(id, level) {
      await run((c) => c.hlSetLevel(P, id, String(Date.now()), level));
    },
    async subscribe(id, uri, max) {
      return run<'added' | 'present' | 'full' | 'gone'>((c) => c.hlSubscribe(P, id, String(Date.now()), uri, String(max)));
    },
    async unsubscribe(id, uri) {
      await run((c) => c.hlUnsubscribe(P, id, String(Date.now()), uri));
    },
    async subscribers(uri) {
      return run<string[]>((c) => c.hlSubscribers(P, uri, String(Date.now())));
    },
    async delete(id) {
      await landed(id);
      return (await run<number>((c) => c.hlDelete(P, id))) === 1;
    },
    async count() {
      return run<number>((c) => c.hlCount(P, String(Date.now()), ''));
    },
    async countOf(tenant) {
      return run<number>((c) => c.hlCount(P, String(Date.now()), tenant));
    },
    async reap(now) {
      const gone: string[] = [];
      for (;;) {
        const batch = await run<string[]>((c) => c.hlReap(P, String(now), String(REAP_BATCH)));
        gone.push(...batch);
        if (batch.length < REAP_BATCH) return gone;
      }
    },
    events: sessionEvents,
    async lease(key, holder, ttlMs) {
      return (await run<number>((c) => c.hlLease(P, key, holder, String(Math.max(1, Math.round(ttlMs)))))) === 1;
    },
    async leaseHolder(key) {
      return (await run<string | null>((c) => c.get(`${P}lease:${key}`))) ?? undefined;
    },
    async takeToken(key, requestsPerSec, burst) {
      const wait = Number(await run<number>((c) => c.hlTakeToken(P, key, String(requestsPerSec), String(burst))));
      return wait === 0 ? { allowed: true } : { allowed: false, retryAfterSec: Math.max(1, wait) };
    },
    control: controlApi,
    bus: busApi,
    health: () => (closed ? { ok: false, detail: 'redis: store closed' } : conn.health()),
    async close() {
      if (!closed) {
        // Events still being written (pipelined, not awaited) land first, so a client can resume elsewhere after a
        // graceful stop; bounded, as Redis may be what is gone.
        const flushed = Promise.all([...pending.values()]);
        await Promise.race([flushed, new Promise<void>((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS).unref())]);
        closed = true;
        control.clear();
        bus.clear();
        follows.clear();
      }
      await conn.close();
    },
  };
}
