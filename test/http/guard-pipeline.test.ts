/**
 * The guard pipeline (src/http/guards.ts, the list in src/http/app.ts), driven
 * in process through the app's own fetch: the list runs in the documented
 * order, a request that breaks several rules gets the status of the first
 * guard it meets, and a guard plugged into the list runs in its slot: after
 * the guards before it (which can refuse first) and before those after it
 * (which then never run).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import type { GuardStep } from '../../src/http/guards.js';
import { HostlensError } from '../../src/contracts/errors.js';
import { httpErrorResponse } from '../../src/server/error-mapping.js';
import { ACCEPT, createProbe, createTestFactory, expectJsonRpcError, MODERN, modernMeta } from './helpers.js';

/** The order README and app.ts document. */
const DOCUMENTED = [
  'host',
  'origin',
  'other-paths',
  'auth',
  'rate-limit',
  'stream-cap',
  'drain',
  'content-type',
  'accept',
  'body-size',
  'body-shape',
  'json',
  'message-shape',
  'listen-filter',
  'scope',
  'call-streams',
  'batch-version',
];

const ORIGIN = 'http://127.0.0.1:8765';
const discover = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: modernMeta() } });

function post(headers: Record<string, string> = {}, body: string = discover): Request {
  return new Request(`${ORIGIN}/mcp`, {
    method: 'POST',
    headers: { host: '127.0.0.1:8765', 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover', ...headers },
    body,
  });
}

describe('the guard list', () => {
  const apps: HttpApp[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });
  const make = (options: Partial<Parameters<typeof createHttpApp>[0]> = {}): HttpApp => {
    const app = createHttpApp({ factory: createTestFactory(createProbe()), maxBodyBytes: 1024, ...options });
    apps.push(app);
    return app;
  };

  test('runs in the documented order', () => {
    assert.deepEqual(make().guards, DOCUMENTED);
  });

  test('a request breaking two rules gets the status of the earlier guard; each refusal has its exact status', async () => {
    const app = make({ authToken: 'guard-pipeline-token-0123456789' });
    const auth = { authorization: 'Bearer guard-pipeline-token-0123456789' };
    const cases: Array<[string, Request, number, number]> = [
      ['foreign Host, no token → host', post({ host: 'evil.example' }), 403, -32000],
      ['foreign Origin, no token → origin', post({ origin: 'http://evil.example' }), 403, -32000],
      ['no token, text/plain → auth', post({ 'content-type': 'text/plain' }), 401, -32000],
      ['text/plain, a bad Accept → content-type', post({ ...auth, 'content-type': 'text/plain', accept: 'text/html' }), 415, -32000],
      ['a bad Accept, over maxBodyBytes → accept', post({ ...auth, accept: 'text/html' }, 'x'.repeat(2048)), 406, -32000],
      ['over maxBodyBytes, not JSON → body-size', post(auth, `{${'x'.repeat(2048)}`), 413, -32000],
      ['not JSON → json', post(auth, '{"jsonrpc":'), 400, -32700],
      ['a batch in 2026-07-28 → batch-version', post(auth, `[${discover}]`), 400, -32600],
    ];
    for (const [what, request, status, code] of cases) {
      const res = await app.fetch(request);
      assert.equal(res.status, status, what);
      await expectJsonRpcError(res, status, code);
    }
  });

  test('a client over its rate limit is 429 while the server drains; another client is 503', async () => {
    const app = make({ rateLimit: { requestsPerSec: 0.001, burst: 1 } });
    const first = await app.fetch(post(), { client: 'a' });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    await app.close();
    await expectJsonRpcError(await app.fetch(post(), { client: 'a' }), 429, -32000);
    await expectJsonRpcError(await app.fetch(post(), { client: 'b' }), 503, -32000);
  });
});

describe('a guard plugged into the list', () => {
  const TOKEN = 'guard-pipeline-token-abcdefghij';
  const seen: string[] = [];
  // An embedder's maintenance switch, plugged in just before `drain`.
  const maintenance: GuardStep = {
    name: 'maintenance',
    run: (request) => {
      seen.push(request.headers.get('x-case') ?? '?');
      return httpErrorResponse(new HostlensError('unavailable', 'Service Unavailable: down for maintenance'), { headers: { 'retry-after': '60' } });
    },
  };
  const app = createHttpApp({
    factory: createTestFactory(createProbe()),
    authToken: TOKEN,
    rateLimit: { requestsPerSec: 0.001, burst: 2 },
    guards: (steps) => {
      const at = steps.findIndex((s) => s.name === 'drain');
      return [...steps.slice(0, at), maintenance, ...steps.slice(at)];
    },
  });
  after(async () => {
    await app.close();
  });
  const auth = { authorization: `Bearer ${TOKEN}` };

  test('sits in its slot in the list', () => {
    assert.deepEqual(app.guards, [...DOCUMENTED.slice(0, 6), 'maintenance', ...DOCUMENTED.slice(6)]);
  });

  test('guards before it refuse first and it never runs; it answers before every guard after it', async () => {
    await expectJsonRpcError(await app.fetch(post({ ...auth, host: 'evil.example', 'x-case': 'host' })), 403, -32000);
    await expectJsonRpcError(await app.fetch(post({ 'x-case': 'no token' })), 401, -32000);
    assert.deepEqual(seen, [], 'refused before its slot');

    // Past auth and the rate limit (burst 2), before content-type: its 503, not a 415.
    const textPlain = await app.fetch(post({ ...auth, 'content-type': 'text/plain', 'x-case': 'text/plain' }));
    assert.equal(textPlain.headers.get('retry-after'), '60');
    const body = await expectJsonRpcError(textPlain, 503, -32000, { id: null });
    assert.equal(body.error.message, 'Service Unavailable: down for maintenance');
    await expectJsonRpcError(await app.fetch(post({ ...auth, 'x-case': 'good' })), 503, -32000);
    assert.deepEqual(seen, ['text/plain', 'good']);

    // The bucket is empty now: rate-limit, before it, answers 429 and it does not run.
    await expectJsonRpcError(await app.fetch(post({ ...auth, 'x-case': 'limited' })), 429, -32000);
    assert.deepEqual(seen, ['text/plain', 'good']);
  });
});
