/**
 * Spellings of the protected routes against `hostlens serve` with auth on:
 * /metrics and /mcp with a doubled or trailing slash, other case, percent
 * encoding, dot segments, `;params`, `%00`, `%2f`, a query, and the RFC 9728
 * metadata path walked back up with `..`. Without a token none of them ever
 * answers metrics or an MCP result: 401 (where the spelling normalises to the
 * route), 404 or 405, always a JSON-RPC error body. With the token the
 * canonical routes answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll, MODERN, spawnHostlens } from '../e2e/helpers.js';
import { exchange, httpRequest, splitResponses } from './raw-socket.js';

const TOKEN = 'hostile-static-token-0123456789';
const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: META } });

describe('route spellings with auth on', { timeout: 60_000 }, () => {
  let port: number;
  let headers: Record<string, string>;
  before(async () => {
    const server = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_AUTH_TOKEN: TOKEN, HOSTLENS_RATE_LIMIT: '1000,2000' } });
    ({ port } = await server.listening());
    headers = { host: `127.0.0.1:${port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' };
  });
  after(async () => {
    await killAll();
  });

  async function ask(method: string, path: string, extra: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const r = await exchange(port, [httpRequest(method, path, { ...headers, ...extra }, method === 'POST' ? LIST : '')], { responses: 1, timeoutMs: 5_000 });
    const [res] = splitResponses(r.text);
    assert.ok(res, `${method} ${path}: no answer`);
    return { status: res.status, body: res.body };
  }

  test('no spelling of /metrics or /mcp is served without a token', async () => {
    const spellings = ['/metrics', '//metrics', '/metrics/', '/Metrics', '/%6detrics', '/./metrics', '/x/../metrics', '/%2e/metrics', '/metrics?x=1', '/metrics;x', '/metrics%00', '/metrics%2f', '/.well-known/oauth-protected-resource/../../metrics',
      '/mcp', '//mcp', '/mcp/', '/%6dcp', '/./mcp', '/x/../mcp', '/MCP', '/mcp?x=1', '/mcp;x', '/mcp%00', '/.well-known/oauth-protected-resource/../../mcp'];
    for (const path of spellings) {
      for (const method of ['GET', 'POST']) {
        const { status, body } = await ask(method, path);
        assert.ok([401, 404, 405].includes(status), `${method} ${path}: ${status} ${body.slice(0, 120)}`);
        assert.doesNotMatch(body, /# HELP|# TYPE|"tools":\[/, `${method} ${path} answered content without a token`);
        assert.equal((JSON.parse(body) as { jsonrpc: string }).jsonrpc, '2.0', `${method} ${path}: a JSON-RPC error body`);
      }
    }
  });

  test('with the token the canonical routes answer (control)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const mcp = await ask('POST', '/mcp', auth);
    assert.equal(mcp.status, 200);
    assert.match(mcp.body, /"tools":\[/);
    const metrics = await ask('GET', '/metrics', auth);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /# (HELP|TYPE)/);
  });
});
