/**
 * Hostile request headers over real HTTP against the product app: Host and
 * Origin look-alikes (DNS rebinding: 127.0.0.1.evil.example, localhost with a
 * userinfo or a bad port, "null", file:, upper case) → 403 JSON-RPC error; and
 * a fast-check property over Accept, Content-Type, MCP-Protocol-Version,
 * Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID and Origin values on
 * POST/GET/DELETE: never a 5xx, every 4xx a JSON-RPC error body without a
 * stack, and the server still serves afterwards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ACCEPT, assertNoLeak, MODERN, modernMeta, rawRequest } from '../http/helpers.js';
import { productHttpPerSuite } from './harness.js';
import { exchange, httpRequest, splitResponses } from './raw-socket.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 60);
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_memory', arguments: {}, _meta: modernMeta() } });

describe('hostile request headers', { timeout: 60_000 }, () => {
  const app = productHttpPerSuite();

  const good = (): Record<string, string> => ({ 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_memory' });

  async function stillServes(): Promise<void> {
    const res = await fetch(app().url, { method: 'POST', headers: good(), body: CALL });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /"structuredContent"/);
  }

  test('Host and Origin look-alikes → 403 JSON-RPC error (DNS rebinding)', async () => {
    const port = app().port;
    // Hosts that make the request URL unparseable or carry userinfo (localhost:1@evil.example, "local host", "[::1",
    // localhost:99999, localhost:1:1, localhost:abc) and absolute-form targets: host-header-regressions.test.ts.
    const hosts = [`127.0.0.1.evil.example:${port}`, `localhost.evil.example:${port}`, `evil.example`, `127.0.0.2:${port}`, `0.0.0.0:${port}`, `[::2]:${port}`, `LOCALHOST.:${port}`, `localhost:${port}/x`, `localhost:${port}?x`, `%6cocalhost:${port}`, 'a'.repeat(300)];
    for (const host of hosts) {
      const res = await rawRequest(port, { headers: { ...good(), host }, chunks: [CALL] });
      assert.ok(res.status === 403 || res.status === 400, `Host ${JSON.stringify(host)}: ${res.status}`);
      if (res.status === 403) assert.match(res.body, /"code":-32000/);
      assertNoLeak(res.body);
    }
    // an empty Host (node's client would fill one in: sent raw)
    const empty = await exchange(port, [httpRequest('POST', '/mcp', { ...good(), host: '' }, CALL)], { responses: 1, timeoutMs: 5_000 });
    assert.equal(splitResponses(empty.text)[0]?.status, 403, 'an empty Host');
    const origins = ['null', 'http://127.0.0.1.evil.example', 'http://localhost.evil.example', 'file://', 'http://evil.example', `http://localhost:${port}@evil.example`, 'chrome-extension://abc', 'http://[::1].evil.example', 'javascript:alert(1)'];
    for (const origin of origins) {
      const res = await fetch(app().url, { method: 'POST', headers: { ...good(), origin }, body: CALL });
      assert.equal(res.status, 403, `Origin ${origin}`);
      assertNoLeak(await res.text());
    }
    for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `HTTP://LOCALHOST:${port}`]) {
      const res = await fetch(app().url, { method: 'POST', headers: { ...good(), origin }, body: CALL });
      assert.equal(res.status, 200, `Origin ${origin} is loopback and allowed`);
      await res.body?.cancel();
    }
    await stillServes();
  });

  test(`fast-check (${RUNS} runs): arbitrary MCP header values on POST/GET/DELETE → never 5xx, every error a JSON-RPC body`, async () => {
    const visible = fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
    const value = (typical: readonly string[]): fc.Arbitrary<string | undefined> => fc.oneof(fc.constantFrom(...typical), visible, fc.constant(undefined));
    const arb = fc.record({
      method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE'),
      accept: value([ACCEPT, 'application/json', 'text/event-stream', '*/*', 'text/html']),
      contentType: value(['application/json', 'application/json; charset=utf-16', 'text/plain', 'application/json-seq']),
      version: value([MODERN, '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '9999-99-99', '2026-07-28, 2025-11-25']),
      mcpMethod: value(['tools/call', 'tools/list', 'initialize', '=?base64?dG9vbHMvY2FsbA==?=', '=?base64?!!!?=']),
      mcpName: value(['get_memory', 'get_cpu', '=?base64?Z2V0X21lbW9yeQ==?=', '../../etc/shadow']),
      session: value(['00000000-0000-0000-0000-000000000000', 'x', '../../x']),
      lastEventId: value(['x_1', '_', '1']),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const headers: Record<string, string> = {};
        const set = (k: string, v: string | undefined): void => {
          if (v !== undefined) headers[k] = v;
        };
        set('accept', c.accept);
        set('content-type', c.contentType);
        set('mcp-protocol-version', c.version);
        set('mcp-method', c.mcpMethod);
        set('mcp-name', c.mcpName);
        set('mcp-session-id', c.session);
        set('last-event-id', c.lastEventId);
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), 3_000);
        try {
          const res = await fetch(app().url, { method: c.method, headers, signal: ctl.signal, ...(c.method === 'POST' ? { body: CALL } : {}) });
          assert.ok(res.status < 500, `HTTP ${res.status} for ${JSON.stringify(c)}`);
          const type = res.headers.get('content-type') ?? '';
          if (type.startsWith('text/event-stream')) {
            await res.body?.cancel();
            return;
          }
          const text = await res.text();
          assertNoLeak(text);
          if (res.status >= 400) {
            assert.match(type, /^application\/json/, `HTTP ${res.status} without JSON for ${JSON.stringify(c)}`);
            const body = JSON.parse(text) as { jsonrpc: string; error: { code: number } };
            assert.equal(body.jsonrpc, '2.0');
            assert.equal(typeof body.error.code, 'number');
          }
        } catch (e) {
          // an SSE stream that stays open (a GET on a live session) is aborted by the timer: fine
          if (!(e instanceof Error && e.name === 'AbortError')) throw e;
        } finally {
          clearTimeout(timer);
        }
      }),
      { numRuns: RUNS },
    );
    await stillServes();
  });
});
