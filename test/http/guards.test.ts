/**
 * Guards on every request over real HTTP: the Host allow-list and the Origin
 * check (403 with a JSON-RPC body), static bearer auth (401 with
 * WWW-Authenticate), the non-loopback bind rule, and /healthz and /readyz.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpApp } from '../../src/http/app.js';
import { isHostlensError } from '../../src/contracts/errors.js';
import {
  ACCEPT,
  assertNoLeak,
  assertStillServes,
  createProbe,
  createTestFactory,
  expectJsonRpcError,
  expectRawJsonRpcError,
  initializeBody,
  legacyHeaders,
  MODERN,
  modernMeta,
  postModern,
  rawRequest,
  readResponse,
  startApp,
} from './helpers.js';
import type { Running } from './helpers.js';

const discoverBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: modernMeta() } });
const modernHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-protocol-version': MODERN,
  'mcp-method': 'server/discover',
  ...extra,
});

describe('Host and Origin guards', () => {
  let r: Running;
  before(async () => {
    r = await startApp({ allowedOrigins: ['https://ui.example.com'] });
  });
  after(async () => {
    await r.app.close();
  });

  test('Host: evil.example → 403 JSON-RPC error (raw HTTP, so the Host header is really sent)', async () => {
    const res = await rawRequest(r.port, { headers: modernHeaders({ host: 'evil.example' }), chunks: [discoverBody] });
    const body = expectRawJsonRpcError(res, 403, -32000);
    assert.equal(body.id, null);
    await assertStillServes(r.url);
  });

  test('Host: evil.example with the right port, and on /healthz, is refused too', async () => {
    const withPort = await rawRequest(r.port, { headers: modernHeaders({ host: `evil.example:${r.port}` }), chunks: [discoverBody] });
    expectRawJsonRpcError(withPort, 403, -32000);
    const health = await rawRequest(r.port, { method: 'GET', path: '/healthz', headers: { host: 'evil.example' } });
    expectRawJsonRpcError(health, 403, -32000);
  });

  test('Host: localhost:PORT and [::1]:PORT are accepted', async () => {
    for (const host of [`localhost:${r.port}`, `[::1]:${r.port}`, `127.0.0.1:${r.port}`]) {
      const res = await rawRequest(r.port, { headers: modernHeaders({ host }), chunks: [discoverBody] });
      assert.equal(res.status, 200, `${host}: ${res.body}`);
    }
  });

  test('Host guard also protects a legacy initialize', async () => {
    const res = await rawRequest(r.port, { headers: { ...legacyHeaders('2025-11-25'), host: 'evil.example' }, chunks: [JSON.stringify(initializeBody('2025-11-25'))] });
    expectRawJsonRpcError(res, 403, -32000);
    assert.equal(res.headers['mcp-session-id'], undefined);
    assert.equal((await r.app.sessions.count()), 0);
  });

  test('Origin: http://evil.example → 403 JSON-RPC error', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ origin: 'http://evil.example' }), body: discoverBody });
    await expectJsonRpcError(res, 403, -32000, { id: null });
  });

  test('Origin: null and a non-http origin → 403', async () => {
    for (const origin of ['null', 'file://', 'chrome-extension://abc']) {
      const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ origin }), body: discoverBody });
      await expectJsonRpcError(res, 403, -32000);
    }
  });

  test('Origin on GET and DELETE is checked too', async () => {
    const get = await fetch(r.url, { headers: { accept: 'text/event-stream', origin: 'http://evil.example', 'mcp-session-id': 'x' } });
    await expectJsonRpcError(get, 403, -32000);
    const del = await fetch(r.url, { method: 'DELETE', headers: { origin: 'http://evil.example', 'mcp-session-id': 'x' } });
    await expectJsonRpcError(del, 403, -32000);
  });

  test('Origin: http://localhost:5173 is allowed', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ origin: 'http://localhost:5173' }), body: discoverBody });
    assert.equal(res.status, 200);
    assert.equal((await readResponse(res)).id, 1);
  });

  test('Origin: http://127.0.0.1:PORT and a configured exact origin are allowed', async () => {
    for (const origin of [`http://127.0.0.1:${r.port}`, 'https://ui.example.com']) {
      const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ origin }), body: discoverBody });
      assert.equal(res.status, 200, origin);
      await res.body?.cancel();
    }
  });

  test('a look-alike origin (http://localhost.evil.example) → 403', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ origin: 'http://localhost.evil.example' }), body: discoverBody });
    await expectJsonRpcError(res, 403, -32000);
  });
});

describe('bearer token', () => {
  const TOKEN = 'wire-test-token-1234567890';
  let r: Running;
  before(async () => {
    r = await startApp({ authToken: TOKEN });
  });
  after(async () => {
    await r.app.close();
  });

  const metadata = (): string => `http://127.0.0.1:${r.port}/.well-known/oauth-protected-resource/mcp`;

  test('no Authorization → 401, WWW-Authenticate: Bearer resource_metadata=…, scope=…, JSON-RPC body', async () => {
    const res = await postModern(r.url, { method: 'server/discover', id: 'a1' });
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${metadata()}", scope="hostlens:read"`);
    await expectJsonRpcError(res, 401, -32000);
  });

  test('wrong token → 401 with error="invalid_token"', async () => {
    const res = await postModern(r.url, { method: 'server/discover', headers: { authorization: 'Bearer not-the-token' } });
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer error="invalid_token", error_description="the bearer token is not valid", resource_metadata="${metadata()}", scope="hostlens:read"`,
    );
    await expectJsonRpcError(res, 401, -32000);
  });

  test('a token that is a prefix of the right one, or another scheme → 401', async () => {
    const prefix = await postModern(r.url, { method: 'server/discover', headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } });
    await expectJsonRpcError(prefix, 401, -32000);
    const basic = await postModern(r.url, { method: 'server/discover', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    assert.equal(basic.headers.get('www-authenticate'), `Bearer resource_metadata="${metadata()}", scope="hostlens:read"`);
    await expectJsonRpcError(basic, 401, -32000);
  });

  test('right token → 200 (modern and legacy)', async () => {
    const res = await postModern(r.url, { method: 'server/discover', id: 'ok', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.equal((await readResponse(res)).id, 'ok');
    const init = await fetch(r.url, {
      method: 'POST',
      headers: { ...legacyHeaders('2025-11-25'), authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(initializeBody('2025-11-25')),
    });
    assert.equal(init.status, 200);
    const sid = init.headers.get('mcp-session-id');
    assert.ok(sid);
    await init.body?.cancel();
    // Auth is per request, never per session: the session id alone is not enough.
    const noToken = await fetch(r.url, {
      method: 'POST',
      headers: legacyHeaders('2025-11-25', sid),
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    await expectJsonRpcError(noToken, 401, -32000);
  });

  test('GET and DELETE without a token → 401', async () => {
    const get = await fetch(r.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'x', 'mcp-protocol-version': '2025-11-25' } });
    await expectJsonRpcError(get, 401, -32000);
    const del = await fetch(r.url, { method: 'DELETE', headers: { 'mcp-session-id': 'x', 'mcp-protocol-version': '2025-11-25' } });
    await expectJsonRpcError(del, 401, -32000);
  });

  test('the Host guard runs before auth (403, not 401)', async () => {
    const res = await rawRequest(r.port, { headers: modernHeaders({ host: 'evil.example' }), chunks: [discoverBody] });
    expectRawJsonRpcError(res, 403, -32000);
  });
});

describe('bind address', () => {
  const factory = createTestFactory(createProbe());

  test('host 0.0.0.0 without a token throws an invalid_argument HostlensError', () => {
    assert.throws(() => createHttpApp({ factory, host: '0.0.0.0', port: 0 }), (error: unknown) => {
      assert.ok(isHostlensError(error, 'invalid_argument'));
      assert.match(error.message, /0\.0\.0\.0/);
      return true;
    });
  });

  test(':: and a LAN address without a token throw it too', () => {
    for (const host of ['::', '192.168.1.10']) {
      assert.throws(() => createHttpApp({ factory, host, port: 0 }), (e: unknown) => isHostlensError(e, 'invalid_argument'), host);
    }
  });

  test('host 0.0.0.0 with a token is accepted; loopback without a token is accepted', async () => {
    const withToken = createHttpApp({ factory, host: '0.0.0.0', port: 0, authToken: 'x'.repeat(32) });
    await withToken.close();
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      const app = createHttpApp({ factory, host, port: 0 });
      await app.close();
    }
  });
});

describe('/healthz and /readyz', () => {
  test('/healthz answers JSON liveness; /readyz 200 when every check passes', async () => {
    const r = await startApp({ version: '1.2.3', readiness: () => ({ collectors: { ok: true } }) });
    try {
      const health = await fetch(r.at('/healthz'));
      assert.equal(health.status, 200);
      assert.match(health.headers.get('content-type') ?? '', /^application\/json\b/);
      const h = (await health.json()) as { status: string; version: string; uptimeSec: number };
      assert.equal(h.status, 'ok');
      assert.equal(h.version, '1.2.3');
      assert.ok(Number.isInteger(h.uptimeSec) && h.uptimeSec >= 0);

      const ready = await fetch(r.at('/readyz'));
      assert.equal(ready.status, 200);
      assert.match(ready.headers.get('content-type') ?? '', /^application\/json\b/);
      // The session store's health is always part of readiness (a shared store can be lost while serving).
      assert.deepEqual(await ready.json(), { status: 'ready', checks: { collectors: { ok: true }, sessionStore: { ok: true } } });
    } finally {
      await r.app.close();
    }
  });

  test('/healthz and /readyz answer only GET and HEAD: POST, PUT and DELETE → 405 with Allow and a JSON-RPC body', async () => {
    const r = await startApp({ readiness: () => ({ collectors: { ok: true } }) });
    try {
      for (const path of ['/healthz', '/readyz']) {
        for (const method of ['POST', 'PUT', 'DELETE']) {
          const res = await fetch(r.at(path), { method, body: method === 'DELETE' ? null : '{}' });
          assert.equal(res.status, 405, `${method} ${path}`);
          assert.equal(res.headers.get('allow'), 'GET, HEAD');
          const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string } };
          assert.equal(body.jsonrpc, '2.0');
          assert.equal(body.error.code, -32000);
          assert.match(body.error.message, /Method Not Allowed/);
        }
        const head = await fetch(r.at(path), { method: 'HEAD' });
        assert.equal(head.status, 200, `HEAD ${path}`);
      }
      assert.equal((await fetch(r.at('/healthz'))).status, 200, 'still serving');
    } finally {
      await r.app.close();
    }
  });

  test('/readyz → 503 JSON when a readiness check fails', async () => {
    const r = await startApp({ readiness: () => ({ collectors: { ok: false, detail: '/proc is not readable' }, clock: { ok: true } }) });
    try {
      const res = await fetch(r.at('/readyz'));
      assert.equal(res.status, 503);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
      assert.deepEqual(await res.json(), {
        status: 'not_ready',
        checks: { collectors: { ok: false, detail: '/proc is not readable' }, clock: { ok: true }, sessionStore: { ok: true } },
      });
      // Liveness is independent of readiness.
      assert.equal((await fetch(r.at('/healthz'))).status, 200);
    } finally {
      await r.app.close();
    }
  });

  test('/readyz → 503 JSON without a stack when the readiness callback throws', async () => {
    const r = await startApp({
      readiness: () => {
        throw new Error('boom at /secret/path.ts:1:1');
      },
    });
    try {
      const res = await fetch(r.at('/readyz'));
      assert.equal(res.status, 503);
      const text = await res.text();
      assertNoLeak(text);
      assert.doesNotMatch(text, /boom|secret/);
      assert.equal((JSON.parse(text) as { status: string }).status, 'not_ready');
    } finally {
      await r.app.close();
    }
  });

  test('/readyz does not depend on how many sessions exist', async () => {
    const r = await startApp({ maxSessions: 1 });
    try {
      const init = await fetch(r.url, { method: 'POST', headers: legacyHeaders('2025-11-25'), body: JSON.stringify(initializeBody('2025-11-25')) });
      assert.equal(init.status, 200);
      await init.body?.cancel();
      assert.equal((await r.app.sessions.count()), 1);
      const res = await fetch(r.at('/readyz'));
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      await r.app.close();
    }
  });

  test('health endpoints need no token even when auth is on', async () => {
    const r = await startApp({ authToken: 'y'.repeat(32) });
    try {
      assert.equal((await fetch(r.at('/healthz'))).status, 200);
      assert.equal((await fetch(r.at('/readyz'))).status, 200);
    } finally {
      await r.app.close();
    }
  });
});
