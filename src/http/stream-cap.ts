/**
 * Per-principal cap on open response streams (`maxStreamsPerPrincipal`).
 *
 * A request that can open a stream takes a slot before it reaches the SDK:
 * every legacy `GET /mcp` (the session's SSE stream) and every POSTed
 * JSON-RPC request (legacy POST responses are SSE streams; a modern call may
 * turn into one, and `subscriptions/listen` always does). The slot is given
 * back when the HTTP response ends — the stream closes, the client drops it,
 * or a JSON answer has been sent — so the count is the principal's open
 * streams plus calls still being answered. Notifications, responses and
 * DELETE never take a slot, so a client at the cap can still cancel and
 * close what it has open.
 *
 * One more → 429 with `Retry-After` and a JSON-RPC error (-32000). 429, not
 * 405 (which tells a client GET streams are never offered) nor 409 (the SDK's
 * answer for a second GET stream on one session).
 */
import { jsonRpcError, requestIdOf, TRANSPORT_ERROR } from './errors.js';

export const DEFAULT_MAX_STREAMS_PER_PRINCIPAL = 16;
/** Retry-After for a refused stream: open streams end on the client's schedule, not ours. */
export const STREAM_RETRY_AFTER_SEC = 5;

export interface StreamCap {
  /**
   * Takes a slot for `request` when it may open a stream (GET, or a POSTed
   * JSON-RPC request: pass its parsed body). Returns the 429 answer when the
   * principal is at the cap, otherwise undefined.
   */
  admit(request: Request, principal: string, body?: unknown): Response | undefined;
  /** Gives back `request`'s slot, if it took one (idempotent). */
  release(request: Request): void;
  /** Slots held by `principal`. */
  open(principal: string): number;
  /** Slots held by everyone. */
  total(): number;
  readonly max: number;
}

/** Whether a POSTed body holds a JSON-RPC request (method and id), alone or in a batch. */
export function holdsRequest(body: unknown): boolean {
  if (Array.isArray(body)) return body.some(holdsRequest);
  if (body === null || typeof body !== 'object') return false;
  const { method, id } = body as { method?: unknown; id?: unknown };
  return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number');
}

export function createStreamCap(max: number): StreamCap {
  const counts = new Map<string, number>();
  const held = new WeakMap<Request, string>();
  let total = 0;
  return {
    max,
    admit(request, principal, body) {
      if (held.has(request)) return undefined;
      const mayStream = request.method === 'GET' || (request.method === 'POST' && holdsRequest(body));
      if (!mayStream) return undefined;
      const open = counts.get(principal) ?? 0;
      if (open >= max) {
        return jsonRpcError(
          429,
          TRANSPORT_ERROR,
          `Too Many Requests: this principal has ${open} streams or calls open (maxStreamsPerPrincipal ${max}); close one or retry later`,
          { id: requestIdOf(body), headers: { 'retry-after': String(STREAM_RETRY_AFTER_SEC) } },
        );
      }
      counts.set(principal, open + 1);
      held.set(request, principal);
      total += 1;
      return undefined;
    },
    release(request) {
      const principal = held.get(request);
      if (principal === undefined) return;
      held.delete(request);
      total -= 1;
      const open = (counts.get(principal) ?? 1) - 1;
      if (open <= 0) counts.delete(principal);
      else counts.set(principal, open);
    },
    open: (principal) => counts.get(principal) ?? 0,
    total: () => total,
  };
}
