/**
 * A bounded in-memory EventStore for resumable legacy SSE streams. Event ids
 * are `<streamId>_<seq>` so they are unique across every stream of a session
 * and name the stream they belong to; replay after `Last-Event-ID` sends only
 * that stream's later events. Old events fall off the end once a stream holds
 * `maxEventsPerStream`, and whole streams are dropped oldest-first beyond
 * `maxStreams`, or while the stored messages exceed `maxBytes` (the newest
 * stream is always kept).
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

export interface MemoryEventStoreOptions {
  maxEventsPerStream?: number;
  maxStreams?: number;
  /** Approximate bytes of serialized messages held over all streams. */
  maxBytes?: number;
}

interface MemoryEventStore extends EventStore {
  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined>;
  /** Number of events held, over all streams. */
  size(): number;
  clear(): void;
}

interface StoredEvent {
  seq: number;
  message: JSONRPCMessage;
  bytes: number;
}

export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): MemoryEventStore {
  const maxEvents = options.maxEventsPerStream ?? 100;
  const maxStreams = options.maxStreams ?? 16;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const streams = new Map<StreamId, StoredEvent[]>();
  let seq = 0;
  let total = 0;
  let bytes = 0;

  const dropStream = (id: StreamId): void => {
    for (const e of streams.get(id) ?? []) bytes -= e.bytes;
    total -= streams.get(id)?.length ?? 0;
    streams.delete(id);
  };

  const parse = (eventId: EventId): { streamId: StreamId; seq: number } | null => {
    const cut = eventId.lastIndexOf('_');
    if (cut <= 0) return null;
    const n = Number(eventId.slice(cut + 1));
    return Number.isSafeInteger(n) ? { streamId: eventId.slice(0, cut), seq: n } : null;
  };

  return {
    async storeEvent(streamId, message) {
      let events = streams.get(streamId);
      if (!events) {
        while (streams.size >= maxStreams) dropStream(streams.keys().next().value as StreamId);
        events = [];
        streams.set(streamId, events);
      }
      seq += 1;
      const size = JSON.stringify(message).length;
      events.push({ seq, message, bytes: size });
      total += 1;
      bytes += size;
      if (events.length > maxEvents) {
        bytes -= events.shift()?.bytes ?? 0;
        total -= 1;
      }
      while (bytes > maxBytes && streams.size > 1) {
        const oldest = streams.keys().next().value as StreamId;
        if (oldest === streamId) break;
        dropStream(oldest);
      }
      return `${streamId}_${seq}`;
    },
    async getStreamIdForEventId(eventId) {
      const parsed = parse(eventId);
      return parsed && streams.has(parsed.streamId) ? parsed.streamId : undefined;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const parsed = parse(lastEventId);
      if (!parsed) throw new Error('unknown event id');
      const events = streams.get(parsed.streamId) ?? [];
      for (const event of events) {
        if (event.seq > parsed.seq) await send(`${parsed.streamId}_${event.seq}`, event.message);
      }
      return parsed.streamId;
    },
    size: () => total,
    clear: () => {
      streams.clear();
      total = 0;
      bytes = 0;
    },
  };
}
