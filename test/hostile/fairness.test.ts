/**
 * One client cannot starve the others (a real spawned `hostlens serve`, loopback):
 * a noisy client bursts 400 requests at the rate bucket, holds its 16 streams
 * as idle subscriptions/listen, floods a tool's queue, and opens sessions
 * without ever closing them; a victim calling through the official SDK clients
 * (a 2025-11-25 session and 2026-07-28 stateless) before, during and after each
 * abuse is served every time: no 429, 503, busy or timed-out answer. Once with
 * two read-only tokens, once without auth: two local processes of the same uid
 * (the victim a child process), where the noisy process is one client however
 * many connections it opens (Node's fetch opens one per concurrent request).
 * The server's event-loop delay during each abuse (/healthz p99 from a worker,
 * loop-probe.ts) is printed, never asserted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { delay, INITIALIZE, MCP_POST_HEADERS } from '../e2e/helpers.js';
import { oneConnection } from '../http/one-connection.js';
import { authHeader, burst, fairServer, modernInit, victim } from './fairness-harness.js';
import type { Served } from './fairness-harness.js';
import { formatLoopStats, probeDuring as probeLoop } from './loop-probe.js';
import type { LoopStats } from './loop-probe.js';

/** The noisy client's bucket, drained by the burst, is full again (40 at 20/s) after this. */
const REFILL_MS = 2_500;

/** The loop probe; without auth also the server's own event-loop delay (GET /metrics is open then), which leaves out CPU waits. */
const probeDuring = <T>(s: Served, abuse: () => Promise<T>): Promise<{ result: T; stats: LoopStats }> => probeLoop(s.port, abuse, { serverLag: !s.authOn });

/** The noisy client's 400-request burst while the victim calls before, during and after it. */
async function rateBurst(s: Served, sameConnection: boolean): Promise<{ statuses: Map<number, number>; served: number; diag: string }> {
  const v = await victim(s);
  try {
    let served = await v.serve(2);
    const conn = oneConnection();
    const { result, stats } = await probeDuring(s, async () => {
      const send = (i: number): Promise<Response> =>
        sameConnection
          ? conn.fetch(s.url, modernInit(s, 'noisy', 'tools/list', {}, i) as { method: string; headers: Record<string, string>; body: string })
          : fetch(s.url, modernInit(s, 'noisy', 'tools/list', {}, i));
      const noisy = burst(400, send);
      const during = v.serve(3);
      const [statuses, n] = await Promise.all([noisy, during]);
      return { statuses, n };
    });
    conn.close();
    served += result.n + (await v.serve(2));
    return { statuses: result.statuses, served, diag: formatLoopStats(`400-request burst${sameConnection ? ' on one connection' : ''}`, stats) };
  } finally {
    await v.close();
  }
}

/** The noisy client holds `n` idle subscriptions/listen streams; the victim listens and calls meanwhile. */
async function idleListens(s: Served, n: number): Promise<{ admitted: number; refused: number; served: number; diag: string }> {
  const streams: AbortController[] = [];
  const v = await victim(s);
  try {
    let admitted = 0;
    let refused = 0;
    const { result: served, stats } = await probeDuring(s, async () => {
      for (let i = 0; i < n; i++) {
        const c = new AbortController();
        streams.push(c);
        const res = await fetch(s.url, { ...modernInit(s, 'noisy', 'subscriptions/listen', { notifications: { resourceSubscriptions: ['diag://local/overview'] } }, `l${i}`), signal: c.signal });
        if (res.status === 200) admitted += 1;
        else {
          assert.equal(res.status, 429);
          refused += 1;
          await res.text();
        }
      }
      // The victim's own listen stream is admitted, and its calls are served.
      assert.equal(await v.listen(), 200, 'the victim may listen too');
      return v.serve(3);
    });
    return { admitted, refused, served, diag: formatLoopStats(`${n} idle listen streams`, stats) };
  } finally {
    for (const c of streams) c.abort();
    await v.close();
  }
}

for (const auth of [true, false]) {
  describe(`fairness with ${auth ? 'two read-only tokens' : 'auth off (two local clients of one uid)'}: default limits`, { timeout: 120_000 }, () => {
    const served = fairServer(auth, { maxSessions: 16 });

    test('a 400-request burst at the rate bucket: the victim is served before, during and after it', async (t) => {
      const s = served();
      const r = await rateBurst(s, !auth);
      t.diagnostic(r.diag);
      t.diagnostic(`noisy statuses: ${JSON.stringify([...r.statuses])}`);
      assert.equal(r.served, 14, 'every victim call served');
      // The noisy client's own bucket (burst 40, 20/s) refused part of its burst (how much depends on how fast it went).
      assert.ok((r.statuses.get(429) ?? 0) > 0, `noisy 429s: ${JSON.stringify([...r.statuses])}`);
      assert.equal(r.statuses.get(-1), undefined, 'no noisy request failed outright');
    });

    if (!auth) {
      test('without auth, 400 concurrent 2026-07-28 requests over ≈ 400 connections are one client: its bucket refuses most, the victim process is served', async (t) => {
        await delay(REFILL_MS);
        const started = performance.now();
        const r = await rateBurst(served(), false);
        const seconds = (performance.now() - started) / 1000;
        t.diagnostic(r.diag);
        t.diagnostic(`noisy statuses: ${JSON.stringify([...r.statuses])} in ${seconds.toFixed(1)} s`);
        assert.equal(r.served, 14, 'every victim call served');
        assert.equal(r.statuses.get(-1), undefined, 'no noisy request failed outright');
        // One bucket (burst 40, 20/s) for the whole burst, not one per connection: at most what it could refill meanwhile.
        const ok = r.statuses.get(200) ?? 0;
        assert.ok(ok <= 40 + Math.ceil(20 * seconds) + 20, `one bucket admitted ${ok} of 400 in ${seconds.toFixed(1)} s`);
        assert.ok((r.statuses.get(429) ?? 0) > 0);
      });
    }

    test('16 idle subscriptions/listen streams of the noisy client: the victim listens and is served', async (t) => {
      const s = served();
      await delay(REFILL_MS);
      const r = await idleListens(s, 17);
      t.diagnostic(r.diag);
      assert.equal(r.served, 6);
      assert.deepEqual([r.admitted, r.refused], [16, 1], `the noisy ${auth ? 'principal' : 'process'} stops at its 16 streams`);
    });

    test('sessions never closed: the noisy client keeps at most a quarter of maxSessions, the victim’s session and new ones are served', async (t) => {
      const s = served();
      await delay(REFILL_MS);
      const v = await victim(s);
      try {
        const conn = oneConnection();
        const { result: ids, stats } = await probeDuring(s, async () => {
          const out: string[] = [];
          for (let i = 0; i < 12; i++) {
            const res = await conn.fetch(s.url, { method: 'POST', headers: { ...MCP_POST_HEADERS, ...authHeader(s, 'noisy') }, body: INITIALIZE });
            assert.equal(res.status, 200, 'an initialize at the cap closes the client’s own oldest idle session');
            out.push(res.headers.get('mcp-session-id')!);
            await res.text();
          }
          return out;
        });
        conn.close();
        t.diagnostic(formatLoopStats('12 sessions opened and abandoned', stats));
        const alive: string[] = [];
        for (const id of ids) {
          const res = await fetch(s.url, { method: 'POST', headers: { ...MCP_POST_HEADERS, ...authHeader(s, 'noisy'), 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
          if (res.status === 200) alive.push(id);
          else assert.equal(res.status, 404);
          await res.text();
        }
        assert.deepEqual(alive, ids.slice(-4), 'the newest 4 (16 / 4) are open, the older ones closed');
        assert.equal(await v.serve(2), 4, 'the victim’s session, opened before, still works');
        const w = await victim(s);
        assert.equal(await w.serve(1), 2, 'a new victim session opens');
        await w.close();
      } finally {
        await v.close();
      }
    });
  });
}

describe('fairness: a flooded tool queue (rate and stream caps lifted)', { timeout: 120_000 }, () => {
  for (const auth of [true, false]) {
    describe(auth ? 'two read-only tokens' : 'auth off', () => {
      const served = fairServer(auth, { rateLimit: { requestsPerSec: 100_000, burst: 100_000 }, maxStreamsPerPrincipal: 1_000 });
      test(`the noisy client queues 100 two-second get_cpu calls over 100 connections; the victim${auth ? '' : ' process'}’s calls all run before, during and after`, async (t) => {
        const s = served();
        const v = await victim(s);
        try {
          assert.equal(await v.serve(1, 'get_cpu', { windowSec: 1 }), 2, 'before the flood');
          const { result, stats } = await probeDuring(s, async () => {
            // Stateless calls, each its own fetch: over 100 pooled connections, one client (a token, or without auth one process).
            const call = { name: 'get_cpu', arguments: { windowSec: 2 } };
            const noisy = burst(100, (i) => fetch(s.url, modernInit(s, 'noisy', 'tools/call', call, i)));
            await new Promise((r) => setTimeout(r, 300));
            const during = await v.serve(2, 'get_cpu', { windowSec: 1 });
            return { statuses: await noisy, during };
          });
          t.diagnostic(formatLoopStats('100 queued get_cpu calls', stats));
          t.diagnostic(`noisy statuses: ${JSON.stringify([...result.statuses])}`);
          assert.equal(result.during, 4, 'every victim call ran (none busy, none timed out)');
          assert.equal(await v.serve(1, 'get_cpu', { windowSec: 1 }), 2, 'and after the flood');
        } finally {
          await v.close();
        }
      });
    });
  }
});
