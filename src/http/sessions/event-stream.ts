/**
 * An SSE stream of one session's stored events, written by hostlens rather
 * than by an SDK transport, so it can be served by any replica: the
 * standalone GET stream (server notifications, list changes) and the
 * resumption of a cut POST stream (`Last-Event-ID`). It follows the
 * session's events first and replays after, so an event stored in between is
 * neither lost nor sent twice (events are ordered by seq).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { parseEventId } from '../store/event-ids.js';
import type { SessionEvents, StoredEvent } from '../store/types.js';

export { GET_STREAM_ID } from '../store/event-ids.js';

interface EventStreamOptions {
  events: SessionEvents;
  streamId: string;
  /** Resume after this event (already known to belong to the session and the stream). */
  lastEventId?: string;
  /** Fresh GET stream of a client that understands an empty priming event (2025-11-25 and later): send one so it can resume. */
  priming: boolean;
  retryMs?: number;
  keepAliveMs: number;
  /** A resumed POST stream ends with its response. */
  endOnResponse: boolean;
  /**
   * A resumed POST stream whose call is silent for `ownerCheckMs` asks this whether the replica running the
   * call is gone; if so it stores an error answer for the lost requests, which ends the stream.
   */
  ownerGone?: () => Promise<boolean>;
  ownerCheckMs?: number;
  onclose: () => void;
}

export interface EventStream {
  response: Response;
  /** Writes an unstored message (list changes); false once closed. */
  push(message: JSONRPCMessage): boolean;
  close(): void;
}

const HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** A stored message worth sending: priming events are stored as `{}` (the SDK does the same) and are never replayed. */
function isMessage(message: unknown): boolean {
  return message !== null && typeof message === 'object' && (message as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

function isResponse(message: unknown): boolean {
  const m = message as { id?: unknown; result?: unknown; error?: unknown };
  return m.id !== undefined && (m.result !== undefined || m.error !== undefined);
}

export async function openEventStream(options: EventStreamOptions): Promise<EventStream> {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  let lastSeq = options.lastEventId ? (parseEventId(options.lastEventId)?.seq ?? 0) : 0;
  let replaying = true;
  const buffered: StoredEvent[] = [];
  let keepAlive: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  let unfollow: (() => void) | undefined;

  const enqueue = (text: string): boolean => {
    if (closed || !controller) return false;
    try {
      controller.enqueue(encoder.encode(text));
      return true;
    } catch {
      close();
      return false;
    }
  };
  const armIdle = (): void => {
    const gone = options.ownerGone;
    if (gone === undefined || closed) return;
    clearTimeout(idle);
    idle = setTimeout(() => {
      void gone().then((isGone) => {
        if (!isGone) armIdle();
      }, armIdle);
    }, options.ownerCheckMs ?? 10_000);
    idle.unref();
  };
  const write = (event: StoredEvent): void => {
    if (closed || event.seq <= lastSeq) return;
    lastSeq = event.seq;
    if (!isMessage(event.message)) return;
    armIdle();
    enqueue(`event: message\nid: ${event.eventId}\ndata: ${JSON.stringify(event.message)}\n\n`);
    if (options.endOnResponse && isResponse(event.message)) close();
  };
  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    clearTimeout(idle);
    unfollow?.();
    try {
      controller?.close();
    } catch {
      // already closed by the client
    }
    options.onclose();
  }

  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
    cancel: () => close(),
  });
  unfollow = await options.events.follow((event) => {
    if (event.streamId !== options.streamId) return;
    if (replaying) buffered.push(event);
    else write(event);
  });
  try {
    if (options.lastEventId !== undefined) {
      await options.events.replayEventsAfter(options.lastEventId, {
        send: async (eventId, message) => write({ eventId, streamId: options.streamId, seq: parseEventId(eventId)?.seq ?? 0, message }),
      });
    } else if (options.priming) {
      const eventId = await options.events.storeEvent(options.streamId, {} as JSONRPCMessage);
      lastSeq = Math.max(lastSeq, parseEventId(eventId)?.seq ?? 0);
      enqueue(`id: ${eventId}\n${options.retryMs !== undefined ? `retry: ${options.retryMs}\n` : ''}data: \n\n`);
    }
  } catch (error) {
    unfollow();
    throw error;
  }
  replaying = false;
  for (const event of buffered.sort((a, b) => a.seq - b.seq)) write(event);
  buffered.length = 0;
  if (!closed) {
    keepAlive = setInterval(() => enqueue(': keepalive\n\n'), options.keepAliveMs);
    keepAlive.unref();
    armIdle();
  }
  return {
    response: new Response(body, { status: 200, headers: HEADERS }),
    push: (message) => enqueue(`event: message\ndata: ${JSON.stringify(message)}\n\n`),
    close,
  };
}
