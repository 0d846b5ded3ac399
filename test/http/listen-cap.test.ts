/**
 * subscriptions/listen names at most MAX_LISTEN_URIS distinct resource URIs:
 * every one is scope-checked and looked up in the catalogue on the event loop,
 * so an unbounded list would stall the server (hostile suite). More → HTTP 400
 * -32602 with the id; duplicates count once.
 *
 * "At once" is counted, not timed: the catalogue lookups are what stall the server, so a list over the cap must
 * be refused before the first one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { productCatalogue } from '../../src/catalogue/index.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { MAX_LISTEN_URIS } from '../../src/http/listen-end.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { resourceExists } from '../../src/server/subscriptions.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { modernMeta, postModern, SseReader } from './helpers.js';
import type { JsonRpcMessage } from './helpers.js';

describe('subscriptions/listen filter cap', () => {
  let app: HttpApp;
  let url: string;
  /** URIs looked up in the catalogue so far. */
  let lookups = 0;
  before(async () => {
    const services = servicesAt(`${FIXTURE_HOSTS}idle`);
    app = createHttpApp({
      factory: createProductFactory({ services, toolsets: ['core'] }),
      port: 0,
      shutdownGraceMs: 200,
      resourceExists: (uri) => {
        lookups += 1;
        return resourceExists(productCatalogue, services, uri);
      },
    });
    ({ url } = await app.listen());
  });
  after(async () => {
    await app.close();
  });

  const listen = (id: string, uris: string[], signal?: AbortSignal) =>
    postModern(url, { method: 'subscriptions/listen', id, params: { notifications: { resourceSubscriptions: uris }, _meta: modernMeta() }, ...(signal ? { signal } : {}) });

  test(`${MAX_LISTEN_URIS + 1} distinct URIs → 400 -32602 naming the cap, id echoed, before any lookup`, async (t) => {
    const started = performance.now();
    const before = lookups;
    // One over the cap, well within the request-shape bound (1,000 array members), so the listen cap itself answers.
    const res = await listen('too-many', Array.from({ length: MAX_LISTEN_URIS + 1 }, (_, i) => `diag://local/config/etc/x-${i}.conf`));
    assert.equal(res.status, 400);
    const body = (await res.json()) as JsonRpcMessage;
    assert.equal(body.id, 'too-many');
    assert.equal(body.error?.code, -32602);
    assert.match(body.error?.message ?? '', new RegExp(`at most ${MAX_LISTEN_URIS} distinct resourceSubscriptions URIs \\(got ${MAX_LISTEN_URIS + 1}\\)`));
    assert.equal(lookups - before, 0, 'no URI was looked up before the refusal');
    t.diagnostic(`refused after ${Math.round(performance.now() - started)} ms`);
  });

  test('duplicates count once: 500 copies of the overview URI are acknowledged', async () => {
    const ac = new AbortController();
    const before = lookups;
    const res = await listen('dups', Array.from({ length: 500 }, () => 'diag://local/overview'), ac.signal);
    assert.equal(res.status, 200);
    const reader = new SseReader(res);
    const first = await reader.nextMessage();
    assert.equal(first?.message.method, 'notifications/subscriptions/acknowledged', JSON.stringify(first?.message).slice(0, 300));
    assert.deepEqual((first?.message.params as { notifications?: { resourceSubscriptions?: string[] } }).notifications?.resourceSubscriptions, ['diag://local/overview']);
    assert.equal(lookups - before, 1, 'the 500 copies were looked up once');
    ac.abort();
    await reader.cancel();
  });
});
