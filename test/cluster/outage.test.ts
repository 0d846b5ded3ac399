/**
 * Redis stopped mid-run and started again, under two replicas behind nginx
 * (Redis with a password, so the test can check it never shows):
 * - while it is down: legacy requests (a call in a live session, a new
 *   initialize) are 503 with Retry-After and a JSON-RPC error on every
 *   replica; 2026-07-28 requests are still served (raw and through nginx with
 *   the SDK client); /readyz is 503 naming what is wrong; the replicas keep
 *   running;
 * - once it is back: every replica is ready again without a restart, new
 *   legacy sessions work through every replica, and a session id from before
 *   (Redis ran without persistence, so it came back empty) is 404 -32001.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { modernMeta, postModern } from '../http/helpers.js';
import { within } from '../support/async.js';
import { bearer, clusterSkip, startCluster, TOKENS } from '../support/cluster.js';
import type { Cluster, Replica } from '../support/cluster.js';
import { callOk, connectClient, expectRpcError, expectUnavailable, LEGACY, messagesOf, openSession, post, SESSION_GONE, waitUntil } from './wire.js';

const PASSWORD = 'outage-Redis-pass-7c1e93';

const readyz = (r: Replica): Promise<Response> => fetch(`${r.origin}/readyz`, { signal: AbortSignal.timeout(10_000) });

const modernCall = (r: Replica, id: number): Promise<Response> =>
  postModern(r.url, { id, method: 'tools/call', params: { name: 'get_memory', arguments: {}, _meta: modernMeta() }, headers: bearer(TOKENS.ops), signal: AbortSignal.timeout(15_000) });

const legacyCall = (url: string, sid: string, id: number): Promise<Response> =>
  post(url, TOKENS.ops, sid, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_memory', arguments: {} } });

describe('Redis stopped and restarted under running replicas', { skip: clusterSkip, timeout: 180_000 }, () => {
  let c: Cluster;
  let before_ = '';
  before(async () => {
    // The rate limiter stays on (the product default shape), so the outage is tested with it in the path.
    c = await startCluster({ replicas: 2, redisPassword: PASSWORD, env: { HOSTLENS_RATE_LIMIT: '100,200' } });
  });
  after(async () => {
    await c?.close();
  });

  test('with Redis up: ready, and a session works through each replica', async () => {
    before_ = await openSession(c.url, TOKENS.ops);
    for (const r of c.replicas) {
      const res = await readyz(r);
      assert.equal(res.status, 200, await res.text());
    }
    for (const [i, r] of c.replicas.entries()) await callOk(r.url, TOKENS.ops, before_, i + 1);
  });

  test('Redis down: legacy 503 + Retry-After + JSON-RPC error, 2026-07-28 served, /readyz 503 with the reason', async () => {
    await c.stopRedis();
    const [r0] = c.replicas as [Replica];
    // A replica learns of the loss when its connection drops; wait (bounded) for the first refusal.
    let first: Response | undefined;
    await waitUntil('the first legacy refusal', async () => {
      const res = await legacyCall(r0.url, before_, 100);
      if (res.status === 200) {
        await res.body?.cancel();
        return false;
      }
      first = res;
      return true;
    });
    assert.ok(first);
    await expectUnavailable(first);

    for (const [i, r] of c.replicas.entries()) {
      const error = await expectUnavailable(await legacyCall(r.url, before_, 110 + i));
      assert.ok(!error.message.includes(PASSWORD));
      await expectUnavailable(
        await post(r.url, TOKENS.ops, undefined, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'outage', version: '1' } } }),
      );

      const modern = await modernCall(r, 120 + i);
      const messages = await messagesOf(modern);
      assert.equal(modern.status, 200, JSON.stringify(messages).slice(0, 300));
      assert.ok(messages.some((m) => m.id === 120 + i && m.result && m.result.isError !== true), JSON.stringify(messages).slice(0, 300));

      const ready = await readyz(r);
      const text = await ready.text();
      assert.equal(ready.status, 503, text);
      const body = JSON.parse(text) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
      assert.equal(body.status, 'not_ready');
      const failing = Object.values(body.checks).filter((check) => !check.ok);
      assert.ok(failing.length > 0 && failing.every((check) => typeof check.detail === 'string' && check.detail.length > 0), `a failing check says why: ${text}`);
      assert.ok(!text.includes(PASSWORD), 'the reason carries no password');
      assert.ok(r.alive(), 'the replica keeps running');
    }

    const client = await connectClient(c.url, TOKENS.ops, 'modern');
    try {
      const r = await within(15_000, 'modern call through nginx', client.callTool({ name: 'get_memory', arguments: {} }));
      assert.notEqual(r.isError, true);
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  test('Redis back: ready again without a restart, new sessions work everywhere, the old id is unknown', async () => {
    const pids = c.replicas.map((r) => r.pid);
    await c.startRedis();
    for (const r of c.replicas) {
      await waitUntil(`${r.address} ready again`, async () => {
        const res = await readyz(r);
        await res.body?.cancel();
        return res.status === 200;
      }, 30_000);
    }
    assert.deepEqual(c.replicas.map((r) => r.pid), pids, 'the same processes');

    const sid = await openSession(c.url, TOKENS.ops);
    for (const [i, r] of c.replicas.entries()) await callOk(r.url, TOKENS.ops, sid, 200 + i);
    for (const [i, r] of c.replicas.entries()) await expectRpcError(await legacyCall(r.url, before_, 210 + i), 404, SESSION_GONE);

    const client = await connectClient(c.url, TOKENS.ops, 'legacy');
    try {
      for (let i = 0; i < 4; i++) assert.notEqual((await within(15_000, 'legacy call through nginx', client.callTool({ name: 'get_memory', arguments: {} }))).isError, true);
    } finally {
      await client.close().catch(() => undefined);
    }
    for (const r of c.replicas) assert.ok(!r.stderr().includes(PASSWORD), `${r.address} never logged the password`);
  });
});
