/**
 * Regression test for a bug the hostile suite found in the node HTTP layer (fixed in de0296e): a Host header
 * the fetch Request cannot be built from — userinfo (`localhost:PORT@evil.example`, `evil@localhost:PORT`),
 * a space, a bad IPv6 bracket (`[::1`, `[::1]x`), a bad port (`localhost:99999`, `-1`, `abc`, `PORT:1`) — or an
 * absolute-form (`POST http://evil.example/mcp`) or asterisk (`*`) request target answered 500 -32603 on every
 * path. A client's bad header is not a server fault: 400 or 403 with the JSON-RPC error body.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCEPT, MODERN, modernMeta, rawRequest } from '../http/helpers.js';
import { productHttpPerSuite } from './harness.js';
import { exchange, splitResponses } from './raw-socket.js';

describe('an unparseable Host header or request target is a 400/403, not a 500', { timeout: 30_000 }, () => {
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
