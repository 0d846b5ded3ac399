/**
 * OPEN BUG found by the hostile suite in the node HTTP layer (src/http/node-server.ts / app.ts, owners A/B;
 * reported): a Host header the fetch Request cannot be built from — userinfo (`localhost:PORT@evil.example`,
 * `evil@localhost:PORT`), a space (`local host`), an unclosed IPv6 bracket (`[::1`, `[::1]x`), a bad port
 * (`localhost:99999`, `localhost:-1`, `localhost:abc`, `localhost:PORT:1`) — or an absolute-form request target
 * (`POST http://evil.example/mcp HTTP/1.1` with an allowed Host) or the asterisk form (`GET * HTTP/1.1`) answers
 * 500 -32603 "Internal server error" on every path (/mcp, /healthz, /readyz, /metrics, the RFC 9728
 * metadata). Nothing is served, but a client's bad header is not a server fault: it should be 400 (or 403 as
 * for any other Host not allowed), and it must not count as a server error in metrics and alerts.
 * Fix idea: in the node handler, before the adapter, refuse a Host that `new URL('http://' + host)` rejects
 * or that carries userinfo with 400 and the JSON-RPC error body.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCEPT, MODERN, modernMeta, rawRequest } from '../http/helpers.js';
import { productHttpPerSuite } from './harness.js';
import { exchange, splitResponses } from './raw-socket.js';

describe('open bug: an unparseable Host header answers 500', { timeout: 30_000 }, () => {
  const app = productHttpPerSuite();

  test('userinfo, a space, a bad bracket or a bad port in Host → 400 or 403 JSON-RPC error on /mcp and /healthz', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } });
    for (const host of [`localhost:${app().port}@evil.example`, `evil@localhost:${app().port}`, 'local host', '[::1', '[::1]x', 'localhost:99999', 'localhost:-1', 'localhost:abc', `localhost:${app().port}:1`]) {
      const post = await rawRequest(app().port, { headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', host }, chunks: [body] });
      assert.ok(post.status === 400 || post.status === 403, `POST /mcp Host ${JSON.stringify(host)}: ${post.status} ${post.body}`);
      const health = await rawRequest(app().port, { method: 'GET', path: '/healthz', headers: { host } });
      assert.ok(health.status === 400 || health.status === 403, `GET /healthz Host ${JSON.stringify(host)}: ${health.status}`);
    }
  });

  test('an absolute-form request target naming another host, or the asterisk form → 400 or 403, not 500', async () => {
    for (const target of ['http://evil.example/mcp', '*']) {
      const raw = `POST ${target} HTTP/1.1\r\nhost: localhost:${app().port}\r\ncontent-type: application/json\r\naccept: ${ACCEPT}\r\nmcp-protocol-version: ${MODERN}\r\nmcp-method: tools/list\r\ncontent-length: 2\r\n\r\n{}`;
      const r = await exchange(app().port, [raw], { responses: 1, timeoutMs: 5_000 });
      const status = splitResponses(r.text)[0]?.status;
      assert.ok(status === 400 || status === 403, `request target ${target}: ${status}`);
    }
  });
});
