/**
 * Per-tenant cap on open response streams (`maxStreamsPerPrincipal`), and
 * each tenant's share of the server's subscriptions/listen streams. The
 * tenant is the principal, or with auth off the local client (tenant.ts):
 * with one `anonymous` bucket, 16 idle listen streams of one local client got
 * every other local client 429.
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
 *
 * subscriptions/listen: the SDK refuses a listen beyond its server-wide cap
 * (64) in band, so four tenants could hold them all; a tenant holding its
 * share (a quarter of the cap, `listenShare`) gets the same 429 for one more,
 * before the SDK sees it.
 */
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { requestIdOf } from '../server/jsonrpc-errors.js';
import { DEFAULT_MAX_LISTEN_STREAMS } from './mcp-endpoint.js';

export const DEFAULT_MAX_STREAMS_PER_PRINCIPAL = 16;
/** Retry-After for a refused stream: open streams end on the client's schedule, not ours. */
const STREAM_RETRY_AFTER_SEC = 5;

interface StreamCapOptions {
  /** The server-wide subscriptions/listen cap (for the message and the default share). */
  maxListen?: number;
  /** subscriptions/listen streams one tenant may hold (default a quarter of maxListen). */
  listenShare?: number;
}

interface StreamCap {
  /**
   * Takes a slot for `request` when it may open a stream (GET, or a POSTed
   * JSON-RPC request: pass its parsed body). Returns the 429 answer when the
   * tenant is at the cap (or at its listen share), otherwise undefined.
   */
  admit(request: Request, tenant: string, body?: unknown): Response | undefined;
  /** Gives back `request`'s slot, if it took one (idempotent). */
  release(request: Request): void;
  /** Slots held by `tenant`. */
  open(tenant: string): number;
  /** subscriptions/listen streams held by `tenant`. */
  listens(tenant: string): number;
  /** Slots held by everyone. */
  total(): number;
  readonly max: number;
  readonly listenShare: number;
}

/** Whether a POSTed body holds a JSON-RPC request (method and id), alone or in a batch. */
export function holdsRequest(body: unknown): boolean {
  if (Array.isArray(body)) return body.some(holdsRequest);
  if (body === null || typeof body !== 'object') return false;
  const { method, id } = body as { method?: unknown; id?: unknown };
  return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number');
}

function isListen(body: unknown): boolean {
  return body !== null && typeof body === 'object' && (body as { method?: unknown }).method === 'subscriptions/listen';
}

export function createStreamCap(max: number, options: StreamCapOptions = {}): StreamCap {
  const maxListen = options.maxListen ?? DEFAULT_MAX_LISTEN_STREAMS;
  const listenShare = Math.max(1, options.listenShare ?? Math.ceil(maxListen / 4));
  const counts = new Map<string, number>();
  const listenCounts = new Map<string, number>();
  const held = new WeakMap<Request, { tenant: string; listen: boolean }>();
  let total = 0;
  const bump = (map: Map<string, number>, key: string, by: number): void => {
    const n = (map.get(key) ?? 0) + by;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  };
  const refuse = (message: string, body: unknown): Response =>
    httpErrorResponse(new HostlensError('rate_limited', message), { id: requestIdOf(body), headers: { 'retry-after': String(STREAM_RETRY_AFTER_SEC) } });
  return {
    max,
    listenShare,
    admit(request, tenant, body) {
      if (held.has(request)) return undefined;
      const mayStream = request.method === 'GET' || (request.method === 'POST' && holdsRequest(body));
      if (!mayStream) return undefined;
      const open = counts.get(tenant) ?? 0;
      if (open >= max) {
        return refuse(`Too Many Requests: this principal has ${open} streams or calls open (maxStreamsPerPrincipal ${max}); close one or retry later`, body);
      }
      const listen = request.method === 'POST' && isListen(body);
      if (listen) {
        const listening = listenCounts.get(tenant) ?? 0;
        if (listening >= listenShare) {
          return refuse(
            `Too Many Requests: this client has ${listening} subscriptions/listen streams open (its share of the server's ${maxListen}); close one or retry later`,
            body,
          );
        }
        bump(listenCounts, tenant, 1);
      }
      bump(counts, tenant, 1);
      held.set(request, { tenant, listen });
      total += 1;
      return undefined;
    },
    release(request) {
      const h = held.get(request);
      if (h === undefined) return;
      held.delete(request);
      total -= 1;
      bump(counts, h.tenant, -1);
      if (h.listen) bump(listenCounts, h.tenant, -1);
    },
    open: (tenant) => counts.get(tenant) ?? 0,
    listens: (tenant) => listenCounts.get(tenant) ?? 0,
    total: () => total,
  };
}
