/**
 * Resource subscriptions on the wire, with the product factory over the idle
 * fixture tree (no real host, no watcher: the test publishes through the app's
 * notify.resourceUpdated itself):
 * - legacy resources/subscribe / resources/unsubscribe: result and error shapes;
 *   notifications/resources/updated reaches only subscribed sessions, on their
 *   GET stream, resumable with Last-Event-ID, never after unsubscribe or DELETE;
 * - modern: resources/subscribe is not a method (404 / -32601);
 *   subscriptions/listen acknowledges first, stamps the subscription id on the
 *   update, and the number of open listen streams is capped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { McpServer, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import { productCatalogue } from '../../src/catalogue/index.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { handleResourceSubscriptions, MAX_SUBSCRIPTIONS_PER_SESSION, resourceExists } from '../../src/server/subscriptions.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { delay, expectJsonRpcError, legacyHeaders, modernMeta, openLegacySession, postLegacy, postModern, readResponse, SseReader, within } from './helpers.js';
import type { JsonRpcMessage } from './helpers.js';

const V = '2025-11-25';
const OVERVIEW = 'diag://local/overview';
// One Services for the whole file: the prompt argument schemas cannot be built for a second one in the same process.
const services = servicesAt(FIXTURE_HOSTS + 'idle');

async function started(factory: Parameters<typeof createHttpApp>[0]['factory'], extra: Partial<Parameters<typeof createHttpApp>[0]> = {}): Promise<{ app: HttpApp; url: string }> {
  const app = createHttpApp({ factory, port: 0, keepAliveMs: 0, ...extra });
  const { url } = await app.listen();
  return { app, url };
}

const call = async (url: string, sid: string, id: number, method: string, params: Record<string, unknown>): Promise<JsonRpcMessage> =>
  readResponse(await within(5_000, method, postLegacy(url, V, sid, { jsonrpc: '2.0', id, method, params })));

const openGet = async (url: string, sid: string, lastEventId?: string): Promise<SseReader> => {
  const res = await within(5_000, 'GET stream', fetch(url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } }));
  assert.equal(res.status, 200);
  return new SseReader(res);
};

/** The next JSON-RPC message on a stream within `ms`, or null when none came. */
const nextWithin = async (reader: SseReader, ms: number): Promise<Awaited<ReturnType<SseReader['nextMessage']>>> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([reader.nextMessage(), new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
};

describe('legacy resources/subscribe over the product catalogue', () => {
  let app: HttpApp;
  let url: string;
  before(async () => {
    ({ app, url } = await started(createProductFactory({ services, toolsets: ['core'] })));
  });
  after(async () => {
    await app.close();
  });

  test('initialize advertises resources.subscribe', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: legacyHeaders(V),
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    const init = await readResponse(res);
    assert.deepEqual((init.result?.capabilities as { resources?: unknown }).resources, { subscribe: true, listChanged: true });
  });

  test('subscribe to the overview or another existing resource → {}; unsubscribe (even twice) → {}', async () => {
    const sid = await openLegacySession(url, V);
    assert.deepEqual((await call(url, sid, 1, 'resources/subscribe', { uri: OVERVIEW })).result, {});
    assert.deepEqual((await call(url, sid, 2, 'resources/subscribe', { uri: 'diag://thresholds' })).result, {});
    assert.deepEqual((await call(url, sid, 3, 'resources/unsubscribe', { uri: OVERVIEW })).result, {});
    assert.deepEqual((await call(url, sid, 4, 'resources/unsubscribe', { uri: OVERVIEW })).result, {});
  });

  test('an unknown URI → -32602 with data.uri, the same answer as resources/read gives; an invalid URI → -32602; no uri → the SDK params error', async () => {
    const sid = await openLegacySession(url, V);
    const sub = await call(url, sid, 1, 'resources/subscribe', { uri: 'diag://local/nope' });
    assert.equal(sub.id, 1);
    assert.equal(sub.error?.code, -32602);
    assert.deepEqual(sub.error?.data, { uri: 'diag://local/nope' });
    const read = await call(url, sid, 2, 'resources/read', { uri: 'diag://local/nope' });
    assert.equal(read.error?.code, sub.error?.code);
    const invalid = await call(url, sid, 3, 'resources/subscribe', { uri: 'not a uri' });
    assert.equal(invalid.error?.code, -32602);
    assert.deepEqual(invalid.error?.data, { uri: 'not a uri', reason: 'invalid_uri' });
    // A params shape failure is answered by the SDK before any handler runs, as for resources/read (2.4.0: -32603).
    const missing = await call(url, sid, 4, 'resources/subscribe', {});
    const readMissing = await call(url, sid, 5, 'resources/read', {});
    assert.ok(missing.error && readMissing.error, JSON.stringify([missing, readMissing]));
    assert.equal(missing.error.code, readMissing.error.code);
    assert.equal((await app.sessions.subscribers('diag://local/nope')).length, 0, 'a refused subscription is not recorded');
  });

  test('an update reaches only subscribed sessions, on their GET stream; none after unsubscribe or DELETE', async () => {
    const subscribed = await openLegacySession(url, V);
    const other = await openLegacySession(url, V);
    await call(url, subscribed, 1, 'resources/subscribe', { uri: OVERVIEW });
    await call(url, other, 1, 'resources/subscribe', { uri: 'diag://thresholds' });
    const a = await openGet(url, subscribed);
    const b = await openGet(url, other);
    try {
      assert.equal((await app.sessions.subscribers(OVERVIEW)).length, 1);
      app.notify.resourceUpdated(OVERVIEW);
      const got = await within(5_000, 'update on the GET stream', a.nextMessage());
      assert.deepEqual(got?.message, { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: OVERVIEW } });
      assert.ok(got?.event.id, 'the event has an id, so it can be resumed');
      assert.equal(await nextWithin(b, 300), null, 'a session not subscribed to the overview gets nothing');

      await call(url, subscribed, 2, 'resources/unsubscribe', { uri: OVERVIEW });
      app.notify.resourceUpdated(OVERVIEW);
      assert.equal(await nextWithin(a, 300), null, 'unsubscribed: nothing');

      await call(url, subscribed, 3, 'resources/subscribe', { uri: OVERVIEW });
      const del = await fetch(url, { method: 'DELETE', headers: legacyHeaders(V, subscribed) });
      assert.equal(del.status, 200);
      await delay(50);
      assert.equal((await app.sessions.subscribers(OVERVIEW)).length, 0, 'the subscription died with the session');
      app.notify.resourceUpdated(OVERVIEW);
    } finally {
      await a.cancel();
      await b.cancel();
    }
  });

  test('an update sent while the GET stream is down is replayed with Last-Event-ID', async () => {
    const sid = await openLegacySession(url, V);
    await call(url, sid, 1, 'resources/subscribe', { uri: OVERVIEW });
    const first = await openGet(url, sid);
    app.notify.resourceUpdated(OVERVIEW);
    const seen = await within(5_000, 'first update', first.nextMessage());
    await first.cancel();
    await delay(100);
    app.notify.resourceUpdated(OVERVIEW);
    const resumed = await openGet(url, sid, seen?.event.id);
    try {
      const replayed = await within(5_000, 'replayed update', resumed.nextMessage());
      assert.equal(replayed?.message.method, 'notifications/resources/updated');
      assert.notEqual(replayed?.event.id, seen?.event.id);
    } finally {
      await resumed.cancel();
    }
  });
});

describe('legacy subscriptions and the idle TTL', () => {
  test('a session reaped for idleness takes its subscriptions with it', async () => {
    const { app, url } = await started(createProductFactory({ services, toolsets: ['core'] }), { sessionTtlMs: 200 });
    try {
      const sid = await openLegacySession(url, V);
      await call(url, sid, 1, 'resources/subscribe', { uri: OVERVIEW });
      assert.equal((await app.sessions.subscribers(OVERVIEW)).length, 1);
      await delay(300);
      await app.sessions.reap(); // the reaper timer may have been first
      assert.equal((await app.sessions.count()), 0);
      assert.equal((await app.sessions.subscribers(OVERVIEW)).length, 0);
      app.notify.resourceUpdated(OVERVIEW);
      const gone = await postLegacy(url, V, sid, { jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri: OVERVIEW } });
      await expectJsonRpcError(gone, 404, -32001);
    } finally {
      await app.close();
    }
  });
});

describe('legacy subscription cap', () => {
  let app: HttpApp;
  let url: string;
  before(async () => {
    ({ app, url } = await started((ctx) => {
      const server = new McpServer({ name: 'cap', version: '1' }, { capabilities: { resources: { subscribe: true } } });
      handleResourceSubscriptions(server, (uri) => uri.startsWith('test://'), undefined, ctx.subscriptions);
      return server;
    }));
  });
  after(async () => {
    await app.close();
  });

  test(`more than ${MAX_SUBSCRIPTIONS_PER_SESSION} URIs per session → -32600; re-subscribing a held URI still works`, async () => {
    const sid = await openLegacySession(url, V);
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_SESSION; i += 1) {
      assert.deepEqual((await call(url, sid, i + 1, 'resources/subscribe', { uri: `test://r/${i}` })).result, {});
    }
    const over = await call(url, sid, 100, 'resources/subscribe', { uri: 'test://r/extra' });
    assert.equal(over.error?.code, -32600);
    assert.match(over.error?.message ?? '', /limit/i);
    assert.deepEqual((await call(url, sid, 101, 'resources/subscribe', { uri: 'test://r/0' })).result, {});
  });
});

describe('modern era: subscriptions/listen', () => {
  let app: HttpApp;
  let url: string;
  before(async () => {
    ({ app, url } = await started(createProductFactory({ services, toolsets: ['core'] }), {
      maxListenStreams: 2,
      resourceExists: (uri) => resourceExists(productCatalogue, services, uri),
      // The listens below come from this one process, which would be one client holding a share (1) of the 2; with
      // the peer named by uid only, each connection is its own client and the server-wide cap is what is tested.
      localPeers: { lookup: async () => process.geteuid?.() ?? 0 },
    }));
  });
  after(async () => {
    await app.close();
  });

  const listen = (id: string, notifications: Record<string, unknown>, signal?: AbortSignal): Promise<Response> =>
    postModern(url, { method: 'subscriptions/listen', id, params: { notifications, _meta: modernMeta() }, ...(signal ? { signal } : {}) });

  test('resources/subscribe is not a modern method → 404 / -32601', async () => {
    const res = await postModern(url, { method: 'resources/subscribe', id: 's', params: { uri: OVERVIEW, _meta: modernMeta() } });
    await expectJsonRpcError(res, 404, -32601, { id: 's' });
  });

  test('the acknowledgement comes first with the honoured filter; the update carries the subscription id; the cap refuses one more', async () => {
    const ac = new AbortController();
    const res = await listen('L1', { resourceSubscriptions: [OVERVIEW] }, ac.signal);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
    const reader = new SseReader(res);
    const ac2 = new AbortController();
    try {
      const ack = await within(5_000, 'ack', reader.nextMessage());
      assert.equal(ack?.message.method, 'notifications/subscriptions/acknowledged');
      assert.deepEqual(ack?.message.params, { notifications: { resourceSubscriptions: [OVERVIEW] }, _meta: { [SUBSCRIPTION_ID_META_KEY]: 'L1' } });

      app.notify.resourceUpdated('diag://thresholds');
      app.notify.resourceUpdated(OVERVIEW);
      const update = await within(5_000, 'update', reader.nextMessage());
      assert.deepEqual(update?.message, {
        jsonrpc: '2.0',
        method: 'notifications/resources/updated',
        params: { uri: OVERVIEW, _meta: { [SUBSCRIPTION_ID_META_KEY]: 'L1' } },
      });

      const second = await listen('L2', { resourceSubscriptions: [OVERVIEW] }, ac2.signal);
      const secondReader = new SseReader(second);
      assert.equal((await within(5_000, 'second ack', secondReader.nextMessage()))?.message.method, 'notifications/subscriptions/acknowledged');
      const third = await readResponse(await listen('L3', { resourceSubscriptions: [OVERVIEW] }));
      assert.equal(third.id, 'L3');
      assert.equal(third.error?.code, -32603);
      assert.match(third.error?.message ?? '', /limit/i);
    } finally {
      ac.abort();
      ac2.abort();
      await reader.cancel();
    }
  });

  /** Reads a listen stream to its end: the acknowledgement, then the result and the cancellation the server ends it with. */
  const assertServerEnded = async (reader: SseReader, id: string): Promise<void> => {
    const rest: JsonRpcMessage[] = [];
    for (let m = await reader.nextMessage(); m !== null; m = await reader.nextMessage()) rest.push(m.message);
    assert.deepEqual(rest.slice(-2).map((m) => [m.id ?? null, m.method ?? null, m.result?.resultType ?? null]), [
      [id, null, 'complete'],
      [null, 'notifications/cancelled', null],
    ]);
    const [result, cancelled] = rest.slice(-2);
    assert.equal((result?.result?._meta as Record<string, unknown>)[SUBSCRIPTION_ID_META_KEY], id);
    assert.equal(cancelled?.params?.requestId, id);
    assert.equal((cancelled?.params?._meta as Record<string, unknown>)[SUBSCRIPTION_ID_META_KEY], id);
  };

  test('a filter with nothing to honour is acknowledged as {} and ended by the server: result, then notifications/cancelled', async () => {
    const reader = new SseReader(await listen('E', {}));
    const ack = await within(5_000, 'ack', reader.nextMessage());
    assert.deepEqual(ack?.message.params?.notifications, {});
    await within(5_000, 'stream end', assertServerEnded(reader, 'E'));
  });

  test('shutdown ends an open listen stream with the result, then notifications/cancelled, without waiting for it', async () => {
    // The grace period (600 s) is far beyond any test timeout: close() finishing at all proves the open listen
    // stream was not counted as a call to wait for, with no timing threshold a loaded machine could cross.
    const own = await started(createProductFactory({ services, toolsets: ['core'] }), { shutdownGraceMs: 600_000 });
    const reader = new SseReader(await postModern(own.url, { method: 'subscriptions/listen', id: 'S', params: { notifications: { resourceSubscriptions: [OVERVIEW] }, _meta: modernMeta() } }));
    await within(5_000, 'ack', reader.nextMessage());
    await within(60_000, 'close (an open listen stream must not hold shutdown for the 600 s grace period)', own.app.close());
    await within(5_000, 'stream end', assertServerEnded(reader, 'S'));
  });

  test('URIs that name no resource are left out of the acknowledged filter; with none left the server ends the stream', async () => {
    const ac = new AbortController();
    const reader = new SseReader(await listen('N1', { resourceSubscriptions: ['diag://nope', OVERVIEW], toolsListChanged: false }, ac.signal));
    try {
      const ack = await within(5_000, 'ack', reader.nextMessage());
      assert.deepEqual(ack?.message.params?.notifications, { resourceSubscriptions: [OVERVIEW] });
    } finally {
      ac.abort();
      await reader.cancel();
    }
    const none = new SseReader(await listen('N2', { resourceSubscriptions: ['diag://nope'] }));
    assert.deepEqual((await within(5_000, 'ack', none.nextMessage()))?.message.params?.notifications, {});
    await within(5_000, 'stream end', assertServerEnded(none, 'N2'));
  });

  test('an idle listen stream carries SSE keep-alive comments', async () => {
    const own = await started(createProductFactory({ services, toolsets: ['core'] }), { keepAliveMs: 100 });
    const ac = new AbortController();
    try {
      const res = await postModern(own.url, { method: 'subscriptions/listen', id: 'K', params: { notifications: { resourceSubscriptions: [OVERVIEW] }, _meta: modernMeta() }, signal: ac.signal });
      assert.ok(res.body);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      await within(3_000, 'a keep-alive comment', (async () => {
        while (!/^:/m.test(text)) text += decoder.decode((await reader.read()).value ?? new Uint8Array(), { stream: true });
      })());
      assert.match(text, /notifications\/subscriptions\/acknowledged[\s\S]*\n:/, 'the acknowledgement first, then the keep-alive');
    } finally {
      ac.abort();
      await own.app.close();
    }
  });

  test('a listen without notifications → -32602 in band', async () => {
    const res = await postModern(url, { method: 'subscriptions/listen', id: 'bad', params: { _meta: modernMeta() } });
    const msg = await readResponse(res);
    assert.equal(msg.id, 'bad');
    assert.equal(msg.error?.code, -32602);
  });
});
