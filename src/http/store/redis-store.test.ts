/**
 * The Redis store against the session store contract, then what only a
 * shared store does: two stores on one Redis behave as two replicas (shared
 * records and caps, pub/sub delivered across exactly once), a Redis that
 * stops and comes back on the same port (503s meanwhile, health says why,
 * the same store object works again), the bounded startup retry, and a
 * password that never shows.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ServerEvent } from '@modelcontextprotocol/server';
import { createClient } from 'redis';
import { isHostlensError } from '../../contracts/errors.js';
import { LIMITS, record, storeContract, until } from '../../../test/support/store-contract.js';
import { freePort, redisSkip, startRedis } from '../../../test/support/redis-server.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { formatEventId, sessionTag } from './event-ids.js';
import { connectRedisStore } from './redis-store.js';
import type { RedisStoreOptions } from './redis-store.js';
import type { ControlMessage, SessionStore, StoredEvent } from './types.js';

const PASSWORD = 'pw-Zq8@x:y/s3cr3t';
const ENCODED = encodeURIComponent(PASSWORD);
const noSecret = (text: string | undefined, what: string): void => {
  assert.ok(!text?.includes(PASSWORD) && !text?.includes(ENCODED) && !text?.includes('s3cr3t'), `${what} holds the password: ${text}`);
};

let server: RedisServer | undefined;
const stores: SessionStore[] = [];
const open = async (options: Partial<RedisStoreOptions> & { keyPrefix: string }): Promise<SessionStore> => {
  const store = await connectRedisStore({ url: (server as RedisServer).url, eventTtlMs: 60_000, ...options });
  stores.push(store);
  return store;
};

describe('redis store', { skip: redisSkip }, () => {
  before(async () => {
    server = await startRedis({ password: PASSWORD });
  });
  after(async () => {
    for (const s of stores.splice(0)) await s.close();
    await server?.stop();
  });

  storeContract('redis', async () => {
    const store = await connectRedisStore({ url: (server as RedisServer).url, keyPrefix: `hl-${randomUUID()}:`, eventTtlMs: 60_000 });
    return { store, cleanup: () => store.close() };
  });

  describe('two replicas on one Redis', () => {
    let a: SessionStore;
    let b: SessionStore;
    const prefix = `hl-${randomUUID()}:`;
    before(async () => {
      a = await open({ keyPrefix: prefix });
      b = await open({ keyPrefix: prefix });
    });

    test("each sees the other's records, touches, subscriptions and deletes", async () => {
      const r = record('t-shared');
      assert.deepEqual(await a.create(r, LIMITS, () => false), { ok: true, evicted: [] });
      assert.deepEqual(await b.get(r.id), r);
      await b.touch(r.id, r.principal, r.lastSeen + 1_000, LIMITS.ttlMs);
      assert.equal((await a.get(r.id))?.lastSeen, r.lastSeen + 1_000);
      assert.equal(await b.subscribe(r.id, 'file:///shared', 4), 'added');
      assert.deepEqual(await a.subscribers('file:///shared'), [r.id]);
      assert.equal(await a.delete(r.id), true);
      assert.equal(await b.get(r.id), undefined);
      assert.deepEqual(await b.subscribers('file:///shared'), []);
    });

    test('caps are cluster-wide: a create on one evicts a session created on the other', async () => {
      const limits = { ...LIMITS, maxPerTenant: 2 };
      const first = record('t-cap', -2);
      await a.create(first, limits, () => false);
      await b.create(record('t-cap', -1), limits, () => false);
      assert.equal(await a.countOf('t-cap'), 2);
      assert.deepEqual(await b.create(record('t-cap'), limits, () => false), { ok: true, evicted: [first.id] });
      assert.equal(await a.get(first.id), undefined);
      assert.equal(await a.countOf('t-cap'), 2);
    });

    test('follow on one sees events stored on the other, each once', async () => {
      const r = record('t-ev');
      await a.create(r, LIMITS, () => false);
      const seen: StoredEvent[] = [];
      const stop = await b.events(r.id).follow((e) => seen.push(e));
      const ids = [];
      for (let i = 1; i <= 3; i++) ids.push(await a.events(r.id).storeEvent('_GET_stream', { jsonrpc: '2.0', method: `m${i}` }));
      await until('three events reach the other replica', () => seen.length >= 3);
      // A later event seen proves any duplicate of the earlier ones would have arrived.
      const id4 = await a.events(r.id).storeEvent('_GET_stream', { jsonrpc: '2.0', method: 'm4' });
      await until('the fourth event', () => seen.some((e) => e.eventId === id4));
      assert.deepEqual(seen.map((e) => e.eventId), [...ids, id4]);
      stop();
    });

    test('control and bus: the other replica gets each message once, the publisher once (no echo)', async () => {
      const ca: ControlMessage[] = [];
      const cb: ControlMessage[] = [];
      const ba: ServerEvent[] = [];
      const bb: ServerEvent[] = [];
      const offs = [a.control.subscribe((m) => ca.push(m)), b.control.subscribe((m) => cb.push(m)), a.bus.subscribe((e) => ba.push(e)), b.bus.subscribe((e) => bb.push(e))];
      const m1: ControlMessage = { type: 'deleted', session: 's-1' };
      const e1: ServerEvent = { kind: 'resource_updated', uri: 'file:///x' };
      a.control.publish(m1);
      a.bus.publish(e1);
      assert.deepEqual(ca, [m1], 'local delivery is synchronous');
      assert.deepEqual(ba, [e1]);
      await until('b gets both', () => cb.length === 1 && bb.length === 1);
      // b's reply travels behind any echo of m1/e1 on a's subscriber connection.
      const m2: ControlMessage = { type: 'get-stream', session: 's-1', holder: 'b' };
      const e2: ServerEvent = { kind: 'prompts_list_changed' };
      b.control.publish(m2);
      b.bus.publish(e2);
      await until('a gets b’s messages', () => ca.length >= 2 && ba.length >= 2);
      assert.deepEqual(ca, [m1, m2]);
      assert.deepEqual(ba, [e1, e2]);
      assert.deepEqual(cb, [m1, m2]);
      assert.deepEqual(bb, [e1, e2]);
      for (const off of offs) off();
    });

    test('the Redis subscription of a session lasts while one follower of it remains in the process', async () => {
      const r = record('t-numsub');
      await a.create(r, LIMITS, () => false);
      const raw = await createClient({ url: (server as RedisServer).url }).on('error', () => undefined).connect();
      try {
        const channel = `${prefix}ev:${sessionTag(r.id)}`;
        const numsub = async (): Promise<number> => Number((await raw.pubSubNumSub(channel))[channel] ?? 0);
        assert.equal(await numsub(), 0);
        const stop1 = await a.events(r.id).follow(() => undefined);
        const stop2 = await a.events(r.id).follow(() => undefined);
        assert.equal(await numsub(), 1);
        stop1();
        const stop3 = await b.events(r.id).follow(() => undefined);
        assert.equal(await numsub(), 2);
        stop2();
        await until('a unsubscribed', async () => (await numsub()) === 1);
        stop3();
        await until('b unsubscribed', async () => (await numsub()) === 0);
      } finally {
        raw.destroy();
      }
    });

    test('concurrent creates on both replicas never exceed the total cap', async () => {
      const limits = { ...LIMITS, maxSessions: 5 };
      const shared = `hl-race-${randomUUID()}:`;
      const x = await open({ keyPrefix: shared });
      const y = await open({ keyPrefix: shared });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? x : y).create(record(`t${i}`), limits, () => true)));
      assert.equal(results.filter((r) => r.ok).length, 5);
      assert.ok(results.every((r) => r.ok || (r.scope === 'total' && r.limit === 5)));
      assert.equal(await x.count(), 5);
    });

    test('token buckets are shared', async () => {
      const key = `k-${randomUUID()}`;
      assert.deepEqual(await a.takeToken?.(key, 1, 2), { allowed: true });
      assert.deepEqual(await b.takeToken?.(key, 1, 2), { allowed: true });
      const third = await a.takeToken?.(key, 1, 2);
      assert.ok(third && !third.allowed && third.retryAfterSec >= 1);
    });
  });

  describe('events in Redis', () => {
    test('events expire eventTtlMs after their last write', async () => {
      const store = await open({ keyPrefix: `hl-${randomUUID()}:`, eventTtlMs: 300 });
      const r = record('t-ttl');
      await store.create(r, LIMITS, () => false);
      const id = await store.events(r.id).storeEvent('s', { jsonrpc: '2.0', method: 'x' });
      assert.equal(await store.events(r.id).getStreamIdForEventId(id), 's');
      await until('the event expires', async () => (await store.events(r.id).getStreamIdForEventId(id)) === undefined);
      assert.equal((await store.get(r.id))?.id, r.id, 'the session itself lives on (its own TTL)');
    });

    test('a session keeps its newest maxStreamsPerSession streams', async () => {
      const store = await open({ keyPrefix: `hl-${randomUUID()}:`, maxStreamsPerSession: 2 });
      const r = record('t-streams');
      await store.create(r, LIMITS, () => false);
      const ev = store.events(r.id);
      const first = await ev.storeEvent('s1', { jsonrpc: '2.0', method: 'a' });
      const second = await ev.storeEvent('s2', { jsonrpc: '2.0', method: 'b' });
      await ev.storeEvent('s1', { jsonrpc: '2.0', method: 'c' });
      const third = await ev.storeEvent('s3', { jsonrpc: '2.0', method: 'd' });
      assert.equal(await ev.getStreamIdForEventId(first), undefined, 'the oldest stream went');
      assert.equal(await ev.getStreamIdForEventId(second), 's2');
      assert.equal(await ev.getStreamIdForEventId(third), 's3');
    });
  });

  describe('Redis stops and comes back', () => {
    let own: RedisServer;
    const states: boolean[] = [];
    const errors: string[] = [];
    before(async () => {
      own = await startRedis({ password: PASSWORD });
    });
    after(async () => {
      await own.stop();
    });

    test('a server that stops answering: each command fails after commandTimeoutMs, then works again', async () => {
      const store = await connectRedisStore({ url: own.url, keyPrefix: 'hl-hang:', eventTtlMs: 60_000, commandTimeoutMs: 300 });
      stores.push(store);
      const r = record('t-hang');
      await store.create(r, LIMITS, () => false);
      process.kill(own.pid as number, 'SIGSTOP');
      try {
        await assert.rejects(store.get(r.id), (e: unknown) => {
          assert.ok(isHostlensError(e, 'unavailable'), String(e));
          assert.equal(e.message, 'Session store unavailable: redis did not answer within 300 ms');
          return true;
        });
      } finally {
        process.kill(own.pid as number, 'SIGCONT');
      }
      assert.equal((await store.get(r.id))?.id, r.id);
    });

    test('503 (unavailable) while down, health says why, local delivery still works; the same store serves again after', async () => {
      const store = await connectRedisStore({
        url: own.url,
        keyPrefix: 'hl-outage:',
        eventTtlMs: 60_000,
        commandTimeoutMs: 1_000,
        onstate: (h) => {
          states.push(h.ok);
          noSecret(h.detail, 'onstate detail');
        },
        onerror: (e) => errors.push(e.message),
      });
      stores.push(store);
      const peer = await connectRedisStore({ url: own.url, keyPrefix: 'hl-outage:', eventTtlMs: 60_000 });
      stores.push(peer);
      const r = record('t-out');
      await store.create(r, LIMITS, () => false);
      assert.deepEqual(store.health(), { ok: true });
      const early: number[] = [];
      await store.events(r.id).follow((e) => early.push(e.seq));

      await own.stop();
      await until('health reports the loss', () => !store.health().ok);
      const health = store.health();
      assert.match(health.detail ?? '', /^redis: connection lost \([A-Za-z0-9_]+\); reconnecting$/);
      noSecret(health.detail, 'health detail');
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['create', () => store.create(record('t-out'), LIMITS, () => false)],
        ['get', () => store.get(r.id)],
        ['touch', () => store.touch(r.id, r.principal, Date.now(), 1_000)],
        ['setLogLevel', () => store.setLogLevel(r.id, 'debug')],
        ['subscribe', () => store.subscribe(r.id, 'file:///o', 4)],
        ['unsubscribe', () => store.unsubscribe(r.id, 'file:///o')],
        ['subscribers', () => store.subscribers('file:///o')],
        ['delete', () => store.delete(r.id)],
        ['count', () => store.count()],
        ['countOf', () => store.countOf('t-out')],
        ['reap', () => store.reap(Date.now())],
        ['takeToken', () => store.takeToken?.('k', 1, 1) ?? Promise.resolve()],
        // The GET stream's seq comes from Redis, so its write is awaited (a POST stream's is pipelined and never rejects).
        ['storeEvent', () => store.events(r.id).storeEvent('_GET_stream', { jsonrpc: '2.0', method: 'x' })],
        ['getStreamIdForEventId', () => store.events(r.id).getStreamIdForEventId(formatEventId(sessionTag(r.id), 's', 1))],
        ['replayEventsAfter', () => store.events(r.id).replayEventsAfter(formatEventId(sessionTag(r.id), 's', 1), { send: async () => undefined })],
        ['follow', () => store.events(r.id).follow(() => undefined)],
      ];
      for (const [name, call] of calls) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(isHostlensError(e, 'unavailable'), `${name}: ${String(e)}`);
          assert.match(e.message, /^Session store unavailable: /);
          noSecret(e.message, name);
          assert.ok(!e.message.includes(r.id), `${name} names the session`);
          return true;
        }, name);
      }
      const local: ControlMessage[] = [];
      store.control.subscribe((m) => local.push(m));
      store.control.publish({ type: 'list-changed', list: 'resources' });
      assert.equal(local.length, 1, 'local control delivery while Redis is down');
      const localBus: ServerEvent[] = [];
      store.bus.subscribe((e) => localBus.push(e));
      store.bus.publish({ kind: 'tools_list_changed' });
      assert.equal(localBus.length, 1, 'local bus delivery while Redis is down');

      await own.restart();
      await until('health ok again', () => store.health().ok && peer.health().ok);
      assert.deepEqual(states, [false, true]);
      assert.ok(errors.length > 0, 'the loss was reported');
      for (const m of errors) noSecret(m, 'onerror');
      // A follower from before the outage is subscribed again.
      await peer.events(r.id).storeEvent('s', { jsonrpc: '2.0', method: 'resumed' });
      await until('the early follower sees an event after the outage', () => early.length === 1);
      // The data did not survive (no persistence): the store works on the empty server.
      const r2 = record('t-out');
      assert.deepEqual(await store.create(r2, LIMITS, () => false), { ok: true, evicted: [] });
      assert.equal((await peer.get(r2.id))?.id, r2.id);
      // Pub/sub was re-established on both sides.
      const seen: number[] = [];
      await store.events(r2.id).follow((e) => seen.push(e.seq));
      await peer.events(r2.id).storeEvent('s', { jsonrpc: '2.0', method: 'again' });
      await until('an event across replicas after the outage', () => seen.length === 1);
      const fromPeer: ControlMessage[] = [];
      const off = store.control.subscribe((m) => fromPeer.push(m));
      peer.control.publish({ type: 'deleted', session: 'after' });
      await until('control across replicas after the outage', () => fromPeer.length === 1);
      off();
    });
  });

  describe('startup', () => {
    test('Redis down and not coming back: rejects with invalid_argument, the masked URL and the reason; no password', async () => {
      const port = await freePort();
      const url = `redis://:${ENCODED}@127.0.0.1:${port}`;
      await assert.rejects(connectRedisStore({ url, eventTtlMs: 1_000, connectRetryMs: 600 }), (e: unknown) => {
        assert.ok(isHostlensError(e, 'invalid_argument'), String(e));
        assert.match(e.message, new RegExp(`^cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(retried for [0-9.]+ s\\)$`));
        noSecret(e.message, 'startup error');
        noSecret(String((e as Error).cause ?? ''), 'startup error cause');
        return true;
      });
    });

    test('a URL that is not redis:// or rediss:// is refused the same way, masked', async () => {
      for (const url of [`http://:${ENCODED}@127.0.0.1:6379`, 'not a url', `127.0.0.1:${ENCODED}@x`]) {
        await assert.rejects(connectRedisStore({ url, eventTtlMs: 1_000 }), (e: unknown) => {
          assert.ok(isHostlensError(e, 'invalid_argument'), String(e));
          assert.match(e.message, /^cannot reach Redis at .*: the URL must start with redis:\/\/ or rediss:\/\/$/);
          noSecret(e.message, url);
          return true;
        });
      }
    });

    test('a wrong password: refused with the reason, never the password', async () => {
      const url = (server as RedisServer).url.replace(ENCODED, encodeURIComponent('wrong-s3cr3t'));
      await assert.rejects(connectRedisStore({ url, eventTtlMs: 1_000, connectRetryMs: 300 }), (e: unknown) => {
        assert.ok(isHostlensError(e, 'invalid_argument'), String(e));
        assert.match(e.message, /WRONGPASS|invalid password|invalid username-password/i);
        noSecret(e.message, 'wrong password');
        return true;
      });
    });

    test('Redis coming back within the retry window: resolves', async () => {
      const late = await startRedis({ password: PASSWORD });
      try {
        await late.stop();
        const pending = connectRedisStore({ url: late.url, eventTtlMs: 1_000, connectRetryMs: 20_000, keyPrefix: 'hl-late:' });
        let settled = false;
        void pending.then(
          () => (settled = true),
          () => (settled = true),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(settled, false, 'still retrying while Redis is down');
        await late.restart();
        const store = await pending;
        stores.push(store);
        const r = record('t-late');
        assert.deepEqual(await store.create(r, LIMITS, () => false), { ok: true, evicted: [] });
        assert.deepEqual(store.health(), { ok: true });
      } finally {
        await late.stop();
      }
    });

    test('close() is idempotent and later calls are unavailable', async () => {
      const store = await connectRedisStore({ url: (server as RedisServer).url, eventTtlMs: 1_000, keyPrefix: 'hl-close:' });
      await store.close();
      await store.close();
      assert.equal(store.health().ok, false);
      await assert.rejects(store.get('x'), (e: unknown) => isHostlensError(e, 'unavailable'));
    });
  });
});
