/**
 * Per-tenant rate limit on /mcp: a token bucket per tenant key (tenant.ts:
 * the principal; with auth off the local client, its legacy session or TCP
 * connection, since one bucket for every local client let a burst of one
 * leave all the others 429). Each request takes one token; tokens refill
 * at `requestsPerSec` up to `burst`. Over the limit → HTTP 429 with
 * `Retry-After` (whole seconds, ≥ 1, from the refill rate) and a JSON-RPC
 * error body (-32000; the request id when the body could be read).
 *
 * Memory is bounded: buckets live in a Map kept in least-recently-used order;
 * a bucket idle long enough to be full again is dropped (it would behave
 * exactly like a fresh one), and beyond `maxKeys` the least recently used
 * tenth is evicted.
 */
import { readRequestBody } from '@modelcontextprotocol/server';
import { HostlensError } from '../contracts/errors.js';
import { httpErrorResponse } from '../server/error-mapping.js';
import { requestIdOf } from '../server/jsonrpc-errors.js';
import type { JsonRpcId } from '../server/jsonrpc-errors.js';
import type { SessionStore } from './store/types.js';

export const DEFAULT_REQUESTS_PER_SEC = 20;
export const DEFAULT_BURST = 40;
const DEFAULT_MAX_KEYS = 10_000;

interface RateLimitOptions {
  /** Sustained requests per second per tenant; 0 turns the limit off. */
  requestsPerSec: number;
  /** Bucket size: requests a tenant may make at once after a quiet spell. */
  burst: number;
  /** Tenants tracked at most (least recently used evicted first). */
  maxKeys?: number;
  now?: () => number;
}

type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSec: number };

interface RateLimiter {
  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision;
  /** Buckets currently kept. */
  size(): number;
  readonly requestsPerSec: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const rate = options.requestsPerSec;
  const burst = Math.max(1, options.burst);
  const maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MAX_KEYS);
  const now = options.now ?? (() => performance.now());
  // A bucket untouched this long has refilled completely.
  const fullAfterMs = (burst / rate) * 1000;
  const buckets = new Map<string, Bucket>();

  // Sweeps run at most once a second (or when the map overflows), each one pass from the oldest end:
  // per-request sweeping would re-walk the deleted slots at the Map's front every time.
  const sweepEveryMs = Math.max(1_000, Math.min(fullAfterMs, 60_000));
  const evictTo = maxKeys - Math.ceil(maxKeys / 10);
  let lastSweep = -Infinity;
  const sweep = (t: number): void => {
    lastSweep = t;
    const over = buckets.size > maxKeys;
    for (const [key, bucket] of buckets) {
      // Least recently used first: drop buckets that are full again (they behave like fresh ones), then,
      // over the cap, the oldest tenth at once.
      if (t - bucket.at >= fullAfterMs || (over && buckets.size > evictTo)) buckets.delete(key);
      else break;
    }
  };

  return {
    requestsPerSec: rate,
    burst,
    size: () => buckets.size,
    take(key) {
      if (!(rate > 0)) return { allowed: true, remaining: Infinity };
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: burst, at: t };
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * rate);
      bucket.at = t;
      // Re-insert so the Map stays in least-recently-used order.
      buckets.delete(key);
      buckets.set(key, bucket);
      if (t - lastSweep >= sweepEveryMs || buckets.size > maxKeys) sweep(t);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, remaining: Math.floor(bucket.tokens) };
      }
      return { allowed: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
    },
  };
}

/** The 429 answer for a refused request. */
function rateLimitedResponse(limiter: RateLimiter, retryAfterSec: number, id: JsonRpcId): Response {
  return httpErrorResponse(
    new HostlensError('rate_limited', `Too Many Requests: this client is over the rate limit (${limiter.requestsPerSec} requests/s, burst ${limiter.burst}); retry after ${retryAfterSec} s`),
    { id, headers: { 'retry-after': String(retryAfterSec) } },
  );
}

const PEEK_LIMIT = 64 * 1024;

/**
 * The JSON-RPC id of a refused POST, read from a small body (≤ 64 KiB) so the
 * error can echo it; null for anything else (GET, larger or unreadable
 * bodies, notifications).
 */
export async function peekRequestId(request: Request): Promise<JsonRpcId> {
  if (request.method !== 'POST' || request.body === null) return null;
  try {
    const read = await readRequestBody(request, PEEK_LIMIT);
    return read.tooLarge ? null : requestIdOf(JSON.parse(read.text));
  } catch {
    return null;
  }
}

/**
 * Checks `key` against the limiter; a refusal is the finished 429 response.
 * With a store that shares buckets (Redis), the bucket is the cluster's: a
 * tenant spread by the load balancer over N replicas still gets the limit
 * once, not N times. While the store cannot answer, this replica's own
 * bucket decides, so the limit never fails open.
 */
export async function enforceRateLimit(limiter: RateLimiter | null, key: string, request: Request, store?: Pick<SessionStore, 'takeToken' | 'health'>): Promise<Response | undefined> {
  if (!limiter) return undefined;
  let decision: RateDecision | { allowed: true } | undefined;
  if (store?.takeToken && store.health().ok) decision = await store.takeToken(key, limiter.requestsPerSec, limiter.burst).catch(() => undefined);
  decision ??= limiter.take(key);
  if (decision.allowed) return undefined;
  return rateLimitedResponse(limiter, decision.retryAfterSec, await peekRequestId(request));
}
