/**
 * Two replicas (two HTTP apps, each with its own Redis store connection) on
 * one real redis-server, in one process: any replica serves any request of a
 * legacy session, a cut stream resumes on the other replica, cancellation and
 * subscriptions cross replicas, and losing Redis is answered, not crashed.
 * The deployment behind nginx with processes is test/cluster/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import { productCatalogue } from '../../src/catalogue/index.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { connectRedisStore } from '../../src/http/store/redis-store.js';
import { resourceExists } from '../../src/server/subscriptions.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { redisSkip, startRedis } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';
import { delay, expectJsonRpcError, legacyHeaders, modernMeta, openLegacySession, postLegacy, postModern, readResponse, SseReader, startApp, within } from './helpers.js';
import type { JsonRpcMessage, Running } from './helpers.js';

const V = '2025-11-25';
const OVERVIEW = 'diag://local/overview';

async function replica(redis: RedisServer, extra: Parameters<typeof startApp>[0] = {}): Promise<Running> {
  const store = await connectRedisStore({ url: redis.url, eventTtlMs: 60_000, connectRetryMs: 5_000, commandTimeoutMs: 1_000 });
  return startApp({ store, sseRetryMs: 500, ...extra });
}

/** Every JSON-RPC message of an SSE stream until it ends (bounded: a stream that never ends fails the test). */
async function drain(res: Response, what: string): Promise<JsonRpcMessage[]> {
  const reader = new SseReader(res);
  const got: JsonRpcMessage[] = [];
  for (;;) {
    const next = await within(10_000, what, reader.nextMessage());
    if (!next) return got;
    got.push(next.message);
  }
}

const call = (id: number, name: string, args: Record<string, unknown>, progress?: string): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(progress ? { _meta: { progressToken: progress } } : {}) },
});

describe('two replicas on one Redis', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let a: Running;
  let b: Running;
  before(async () => {
    redis = await startRedis();
    a = await replica(redis);
    b = await replica(redis);
  });
  after(async () => {
    await a?.app.close();
    await b?.app.close();
    await redis?.stop();
  });

  test('a session opened on one replica is served by the other; DELETE on one is 404 on both', async () => {
    const sid = await openLegacySession(a.url, V);
    for (const [i, r] of [a, b, a, b].entries()) {
      const res = await postLegacy(r.url, V, sid, call(i + 1, 'echo', { text: `n${i}` }));
      const message = await readResponse(res);
      assert.deepEqual(message.result?.structuredContent, { echo: `n${i}` }, `call ${i} on replica ${r === a ? 'a' : 'b'}`);
    }
    const del = await fetch(b.url, { method: 'DELETE', headers: legacyHeaders(V, sid) });
    assert.equal(del.status, 200);
    for (const r of [a, b]) await expectJsonRpcError(await postLegacy(r.url, V, sid, call(9, 'echo', { text: 'x' })), 404, -32001, { id: 9 });
  });

  test('a stream cut on one replica resumes on the other with Last-Event-ID: every missed event exactly once', async () => {
    const sid = await openLegacySession(a.url, V);
    const controller = new AbortController();
    const res = await postLegacy(a.url, V, sid, call(20, 'progress_then_wait', { waitMs: 1_000 }, 'p20'), controller.signal);
    const reader = new SseReader(res);
    const priming = await within(5_000, 'priming', reader.next());
    assert.ok(priming?.id);
    controller.abort();
    await reader.cancel();
    const resumed = await fetch(b.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream', 'last-event-id': priming.id } });
    assert.equal(resumed.status, 200);
    const got = await drain(resumed, 'resumed events');
    assert.deepEqual(
      got.map((m) => m.method ?? `response:${String(m.id)}`),
      ['notifications/progress', 'response:20'],
      'the progress and the result, each once, then the stream ends',
    );
    assert.deepEqual(got[1]?.result?.content, [{ type: 'text', text: 'waited 1000' }]);
  });

  test('notifications/cancelled sent to the other replica aborts the call', async () => {
    const sid = await openLegacySession(a.url, V);
    const controller = new AbortController();
    const aborted = a.probe.nextAbort();
    const started = a.probe.nextStart();
    const res = await postLegacy(a.url, V, sid, call(30, 'slow', { ms: 30_000 }), controller.signal);
    await within(5_000, 'the call starts on a', started);
    const cancel = await postLegacy(b.url, V, sid, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 30, reason: 'test' } });
    assert.equal(cancel.status, 202);
    await within(5_000, 'the call on a is aborted', aborted);
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
  });

  test('an unknown or foreign Last-Event-ID is 400 on either replica', async () => {
    const mine = await openLegacySession(a.url, V);
    const other = await openLegacySession(b.url, V);
    const res = await postLegacy(a.url, V, other, call(40, 'echo', { text: 'x' }));
    const reader = new SseReader(res);
    const priming = await within(5_000, 'priming', reader.next());
    await reader.cancel();
    for (const r of [a, b]) {
      const stolen = await fetch(r.url, { headers: { ...legacyHeaders(V, mine), accept: 'text/event-stream', 'last-event-id': priming?.id ?? '' } });
      await expectJsonRpcError(stolen, 400, -32000);
    }
  });
});

describe('two replicas on one Redis: the replica running a call dies', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let a: Running;
  let b: Running;
  before(async () => {
    redis = await startRedis();
    // Fast heartbeats, so a dead replica is noticed within a test's time.
    a = await replica(redis, { heartbeatMs: 200, shutdownGraceMs: 0 });
    b = await replica(redis, { heartbeatMs: 200 });
  });
  after(async () => {
    await b?.app.close();
    await redis?.stop();
  });

  test('a resumed stream whose call died with its replica gets an error answer for it, once, instead of waiting forever', async () => {
    const sid = await openLegacySession(a.url, V);
    const controller = new AbortController();
    const started = a.probe.nextStart();
    const res = await postLegacy(a.url, V, sid, call(50, 'slow', { ms: 8_000 }), controller.signal);
    const reader = new SseReader(res);
    const priming = await within(5_000, 'priming', reader.next());
    await within(5_000, 'the call starts on a', started);
    controller.abort();
    await reader.cancel();
    // a stops: no more heartbeats (its call is abandoned and ends within 8 s on its own, with nobody to answer).
    await a.app.close();
    const resumed = await fetch(b.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream', 'last-event-id': priming?.id ?? '' } });
    assert.equal(resumed.status, 200);
    const got = await drain(resumed, 'the lost call is answered');
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]?.id, 50);
    assert.equal(got[0]?.error?.code, -32603);
    assert.match(got[0]?.error?.message ?? '', /ended without an answer/);
  });

  test('while the replica running the call lives, a silent call is not declared lost', async () => {
    const sid = await openLegacySession(b.url, V);
    const controller = new AbortController();
    const res = await postLegacy(b.url, V, sid, call(60, 'progress_then_wait', { waitMs: 1_500 }, 'p60'), controller.signal);
    const reader = new SseReader(res);
    const priming = await within(5_000, 'priming', reader.next());
    controller.abort();
    await reader.cancel();
    const resumed = await fetch(b.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream', 'last-event-id': priming?.id ?? '' } });
    const messages = await drain(resumed, 'the answer');
    // 1.5 s of silence is several owner checks (every 400 ms): the real answer still arrives, and only it.
    assert.deepEqual(messages.at(-1)?.result?.content, [{ type: 'text', text: 'waited 1500' }]);
    assert.equal(messages.filter((m) => m.error).length, 0);
  });
});

describe('two replicas on one Redis: subscriptions', { skip: redisSkip }, () => {
  const services = servicesAt(FIXTURE_HOSTS + 'idle');
  let redis: RedisServer;
  let a: Running;
  let b: Running;
  before(async () => {
    redis = await startRedis();
    const options = {
      factory: createProductFactory({ services, toolsets: ['core'] }),
      resourceExists: (uri: string) => resourceExists(productCatalogue, services, uri),
      localPeers: { lookup: async () => process.geteuid?.() ?? 0 },
    };
    a = await replica(redis, options);
    b = await replica(redis, options);
  });
  after(async () => {
    await a?.app.close();
    await b?.app.close();
    await redis?.stop();
  });

  test('legacy: subscribed through one replica, the update arrives on the GET stream held by the other', async () => {
    const sid = await openLegacySession(a.url, V);
    const sub = await readResponse(await postLegacy(a.url, V, sid, { jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: OVERVIEW } }));
    assert.deepEqual(sub.result, {});
    const controller = new AbortController();
    const get = await fetch(b.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' }, signal: controller.signal });
    assert.equal(get.status, 200);
    const reader = new SseReader(get);
    assert.equal((await within(5_000, 'priming', reader.next()))?.data, '');
    a.app.notify.resourceUpdated(OVERVIEW);
    const update = await within(5_000, 'the update on b', reader.nextMessage());
    assert.deepEqual(update?.message, { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: OVERVIEW } });
    controller.abort();
    await reader.cancel();
  });

  test('modern: a subscriptions/listen stream on one replica hears a change published by the other', async () => {
    const controller = new AbortController();
    const res = await postModern(b.url, { method: 'subscriptions/listen', id: 'L', params: { notifications: { resourceSubscriptions: [OVERVIEW] }, _meta: modernMeta() }, signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = new SseReader(res);
    assert.equal((await within(5_000, 'ack', reader.nextMessage()))?.message.method, 'notifications/subscriptions/acknowledged');
    a.app.notify.resourceUpdated(OVERVIEW);
    const update = await within(5_000, 'update', reader.nextMessage());
    assert.deepEqual(update?.message.params, { uri: OVERVIEW, _meta: { [SUBSCRIPTION_ID_META_KEY]: 'L' } });
    controller.abort();
    await reader.cancel();
  });
});

describe('two replicas on one Redis: Redis lost and back', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let a: Running;
  before(async () => {
    redis = await startRedis();
    a = await replica(redis);
  });
  after(async () => {
    await a?.app.close();
    await redis?.stop();
  });

  test('legacy answers 503 with Retry-After and a JSON-RPC error, modern is still served, /readyz says why; then all resumes', async () => {
    const sid = await openLegacySession(a.url, V);
    await redis.stop();
    const res = await postLegacy(a.url, V, sid, call(1, 'echo', { text: 'x' }));
    assert.ok(res.headers.get('retry-after'), 'Retry-After');
    await expectJsonRpcError(res, 503, -32000, { id: 1 });
    const init = await fetch(a.url, { method: 'POST', headers: legacyHeaders(V), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 'c', version: '1' } } }) });
    await expectJsonRpcError(init, 503, -32000, { id: 2 });
    const modern = await postModern(a.url, { method: 'tools/call', id: 3, params: { name: 'echo', arguments: { text: 'still' }, _meta: modernMeta() } });
    assert.equal(modern.status, 200);
    assert.deepEqual((await readResponse(modern)).result?.structuredContent, { echo: 'still' });
    const ready = await fetch(a.at('/readyz'));
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    assert.equal(body.checks.sessionStore?.ok, false);
    assert.match(body.checks.sessionStore?.detail ?? '', /redis/);

    await redis.restart();
    await within(10_000, 'ready again', (async () => {
      while ((await fetch(a.at('/readyz'))).status !== 200) await delay(100);
    })());
    // This Redis keeps no data across a restart: the old session is gone (404) and a new one works.
    await expectJsonRpcError(await postLegacy(a.url, V, sid, call(4, 'echo', { text: 'x' })), 404, -32001, { id: 4 });
    const fresh = await openLegacySession(a.url, V);
    assert.deepEqual((await readResponse(await postLegacy(a.url, V, fresh, call(5, 'echo', { text: 'back' })))).result?.structuredContent, { echo: 'back' });
  });
});
