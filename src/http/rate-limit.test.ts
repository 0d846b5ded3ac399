import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRateLimiter, enforceRateLimit, peekRequestId } from './rate-limit.js';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('rate limiter (token bucket per principal)', () => {
  test('a fresh principal gets `burst` requests at once, then is refused with Retry-After from the refill', () => {
    const c = clock();
    const limiter = createRateLimiter({ requestsPerSec: 2, burst: 5, now: c.now });
    for (let i = 0; i < 5; i++) assert.equal(limiter.take('a').allowed, true, `request ${i + 1}`);
    const refused = limiter.take('a');
    assert.deepEqual(refused, { allowed: false, retryAfterSec: 1 });
    // At 0.1 requests/s one token takes 10 s to come back.
    const slow = createRateLimiter({ requestsPerSec: 0.1, burst: 1, now: c.now });
    assert.equal(slow.take('x').allowed, true);
    assert.deepEqual(slow.take('x'), { allowed: false, retryAfterSec: 10 });
    c.advance(4_000);
    assert.deepEqual(slow.take('x'), { allowed: false, retryAfterSec: 6 });
  });

  test('tokens refill at requestsPerSec and never beyond burst', () => {
    const c = clock();
    const limiter = createRateLimiter({ requestsPerSec: 10, burst: 3, now: c.now });
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('a').allowed, true);
    assert.equal(limiter.take('a').allowed, false);
    c.advance(100); // one token
    assert.equal(limiter.take('a').allowed, true);
    assert.equal(limiter.take('a').allowed, false);
    c.advance(60_000); // long idle: back to burst, not 600
    let allowed = 0;
    while (limiter.take('a').allowed) allowed += 1;
    assert.equal(allowed, 3);
  });

  test('a refused request costs nothing: the wait does not grow with hammering', () => {
    const c = clock();
    const limiter = createRateLimiter({ requestsPerSec: 1, burst: 1, now: c.now });
    assert.equal(limiter.take('a').allowed, true);
    for (let i = 0; i < 100; i++) assert.equal(limiter.take('a').allowed, false);
    c.advance(1_000);
    assert.equal(limiter.take('a').allowed, true);
  });

  test('principals have separate buckets', () => {
    const c = clock();
    const limiter = createRateLimiter({ requestsPerSec: 1, burst: 2, now: c.now });
    assert.equal(limiter.take('static:ops').allowed, true);
    assert.equal(limiter.take('static:ops').allowed, true);
    assert.equal(limiter.take('static:ops').allowed, false);
    assert.equal(limiter.take('static:ci').allowed, true);
    assert.equal(limiter.take('anonymous').allowed, true);
  });

  test('idle buckets (full again) are dropped, and the map is capped least-recently-used first', () => {
    const c = clock();
    const limiter = createRateLimiter({ requestsPerSec: 10, burst: 10, maxKeys: 100, now: c.now });
    for (let i = 0; i < 50; i++) limiter.take(`p${i}`);
    assert.equal(limiter.size(), 50);
    c.advance(1_000); // burst/rate = 1 s: every bucket is full again
    limiter.take('late');
    assert.equal(limiter.size(), 1, 'full buckets are forgotten');

    for (let i = 0; i < 1_000; i++) {
      limiter.take(`q${i}`);
      assert.ok(limiter.size() <= 100, 'never more than maxKeys');
    }
    assert.ok(limiter.size() >= 90, `the least recently used tenth goes at once (${limiter.size()} kept)`);
    // The most recent principals are the ones kept: q999 is still limited.
    for (let i = 0; i < 9; i++) assert.equal(limiter.take('q999').allowed, true);
    assert.equal(limiter.take('q999').allowed, false);
  });

  test('property: never more than burst + rate × elapsed admitted; Retry-After is at most one token away', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 200, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 300 }),
        (rate, burst, gaps) => {
          const c = clock(0);
          const limiter = createRateLimiter({ requestsPerSec: rate, burst, now: c.now });
          let admitted = 0;
          for (const gap of gaps) {
            c.advance(gap);
            const d = limiter.take('k');
            if (d.allowed) {
              admitted += 1;
              continue;
            }
            assert.ok(d.retryAfterSec >= 1 && d.retryAfterSec <= Math.max(1, Math.ceil(1 / rate)), `retryAfter ${d.retryAfterSec} at ${rate}/s`);
          }
          const elapsedSec = c.now() / 1000;
          assert.ok(admitted <= burst + rate * elapsedSec + 1e-9, `${admitted} admitted > ${burst} + ${rate} × ${elapsedSec}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: after a refusal, waiting Retry-After seconds always gets the next request in', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 100, noNaN: true }), fc.integer({ min: 1, max: 20 }), (rate, burst) => {
        const c = clock(0);
        const limiter = createRateLimiter({ requestsPerSec: rate, burst, now: c.now });
        let d = limiter.take('k');
        while (d.allowed) d = limiter.take('k');
        c.advance(d.retryAfterSec * 1000);
        assert.equal(limiter.take('k').allowed, true);
      }),
      { numRuns: 300 },
    );
  });

  test('requestsPerSec 0 = no limit', () => {
    const limiter = createRateLimiter({ requestsPerSec: 0, burst: 1 });
    for (let i = 0; i < 1_000; i++) assert.equal(limiter.take('a').allowed, true);
    assert.equal(limiter.size(), 0);
  });
});

describe('429 answer', () => {
  const post = (body: string, headers: Record<string, string> = {}): Request =>
    new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  test('HTTP 429, Retry-After in whole seconds, JSON-RPC -32000 with the request id echoed', async () => {
    const limiter = createRateLimiter({ requestsPerSec: 0.5, burst: 1 });
    assert.equal(await enforceRateLimit(limiter, 'anonymous', post('{}')), undefined);
    const res = await enforceRateLimit(limiter, 'anonymous', post(JSON.stringify({ jsonrpc: '2.0', id: 'call-7', method: 'tools/list' })));
    assert.ok(res);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, 'call-7');
    assert.equal(body.error.code, -32000);
    assert.match(body.error.message, /rate limit \(0\.5 requests\/s, burst 1\)/);
  });

  test('the id is null when the body is not a readable JSON-RPC request', async () => {
    assert.equal(await peekRequestId(post('not json')), null);
    assert.equal(await peekRequestId(post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))), null);
    assert.equal(await peekRequestId(post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'x', pad: 'y'.repeat(70_000) }))), null, 'over 64 KiB is not read');
    assert.equal(await peekRequestId(new Request('http://127.0.0.1/mcp', { method: 'GET' })), null);
    assert.equal(await peekRequestId(post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'x' }))), 9);
  });

  test('no limiter → never refused', async () => {
    assert.equal(await enforceRateLimit(null, 'anonymous', post('{}')), undefined);
  });
});
