/**
 * SSE event ids of legacy sessions: `<tag>.<streamId>.<seq>`.
 *
 * - tag: 16 hex digits of SHA-256 over the session id. It binds the id to its
 *   session without revealing the session id (event ids reach logs and
 *   proxies); an id replayed in another session names another tag and is
 *   unknown there (GHSA-84j6-jc92-77jm: a shared store keyed by stream id let
 *   one session replay another's `_GET_stream`).
 * - streamId: the SDK's stream (a random UUID per POST, `_GET_stream` for the
 *   standalone stream); it never contains a dot.
 * - seq: increasing within a stream, so ids are unique and ordered: a counter of
 *   the session for the GET stream (several replicas write it), the writer's
 *   own clock-based counter for a POST stream (one replica writes it).
 */
import { createHash } from 'node:crypto';

/** The SDK's id of a session's standalone (GET) stream: the one stream several replicas write to. */
export const GET_STREAM_ID = '_GET_stream';

interface ParsedEventId {
  tag: string;
  streamId: string;
  seq: number;
}

/** The session's tag (see the module comment). */
export function sessionTag(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 16);
}

export function formatEventId(tag: string, streamId: string, seq: number): string {
  return `${tag}.${streamId}.${seq}`;
}

const EVENT_ID = /^([0-9a-f]{16})\.([A-Za-z0-9_-]{1,64})\.([1-9][0-9]{0,15})$/;

/** The parts of an event id, or null for anything that is not one (bounded: ids over 120 characters are refused unread). */
export function parseEventId(eventId: string): ParsedEventId | null {
  if (eventId.length > 120) return null;
  const m = EVENT_ID.exec(eventId);
  if (!m) return null;
  const seq = Number(m[3]);
  return Number.isSafeInteger(seq) ? { tag: m[1] as string, streamId: m[2] as string, seq } : null;
}
