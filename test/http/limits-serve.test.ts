/**
 * `hostlens serve` applies the limit settings (HOSTLENS_* variables → config →
 * the HTTP app and the services): the rate limit answers 429 with
 * Retry-After, the head timeout cuts a slowloris client with 408, and a tool
 * call past the deadline is a tool error. One spawned server, killed in
 * `after`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { killAll, spawnHostlens } from '../e2e/helpers.js';
import { ACCEPT, MODERN, modernMeta } from './helpers.js';
import { trickle } from './limits-trickle.js';

describe('hostlens serve applies the limit settings', () => {
  let url: string;
  let port: number;
  before(async () => {
    const server = spawnHostlens(['serve', '--port', '0'], {
      env: {
        HOSTLENS_RATE_LIMIT: '1,4',
        HOSTLENS_HEADER_TIMEOUT_SEC: '1',
        HOSTLENS_BODY_TIMEOUT_SEC: '1',
        HOSTLENS_TOOL_TIMEOUT_SEC: '1',
        HOSTLENS_SAMPLER_INTERVAL_MS: '30000',
      },
    });
    ({ url, port } = await server.listening(20_000));
  });
  after(async () => {
    await killAll();
  });

  const call = (id: number, name: string, args: Record<string, unknown>): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': name },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: modernMeta() } }),
    });

  const callOn = (agent: Agent, id: number, name: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': name },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, _meta: modernMeta() } }));
    });

  test('a 2 s fresh CPU window outlives toolTimeoutSec 1 → tool error "timed out after 1 s"; then the burst of 4 runs out → 429', async () => {
    const slow = await call(1, 'get_cpu', { windowSec: 2 });
    assert.equal(slow.status, 200);
    const text = await slow.text();
    assert.match(text, /get_cpu timed out after 1 s \(toolTimeoutSec\)/);
    assert.match(text, /"isError":true/);
    // One keep-alive connection: without auth the local client is its connection (src/server/tenant.ts), and fetch
    // spreads sequential calls over two pooled ones.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let refused: { status: number; headers: IncomingHttpHeaders; body: string } | undefined;
    try {
      for (let id = 2; id <= 6 && !refused; id++) {
        const res = await callOn(agent, id, 'get_system_info');
        if (res.status === 429) refused = res;
        else assert.equal(res.status, 200);
      }
    } finally {
      agent.destroy();
    }
    assert.ok(refused, 'the rate limit answered 429 within the burst + 1');
    assert.match(String(refused.headers['retry-after'] ?? ''), /^[1-9]\d*$/);
    const body = JSON.parse(refused.body) as { error: { code: number } };
    assert.equal(body.error.code, -32000);
  });

  // The trickle (40 s) outlasts the hang guard (20 s, twenty times the 1 s head timeout): the server closing first,
  // with 408, proves its head timeout cut a request still arriving; the time is printed only.
  test('a client trickling its request head is answered 408 and disconnected', async (tc) => {
    const prefix = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
    const tail = 'X'.repeat(400);
    const t = await trickle(port, prefix, tail, 100, 20_000);
    tc.diagnostic(`closed after ${Math.round(t.closedAfterMs)} ms`);
    assert.match(t.received, /^HTTP\/1\.1 408 /);
    assert.ok(t.written < prefix.length + tail.length, 'cut off before the head was complete');
  });
});
