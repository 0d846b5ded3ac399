/**
 * Regression tests for two bugs the hostile suite found in the node HTTP layer (reported, fixed in
 * src/http/node-server.ts, commit 3dc69f6 and after):
 *
 * 1. TRACE on any path (/mcp, /healthz) answered 500 -32603 "Internal server error": the node adapter
 *    builds a fetch Request, and fetch refuses the TRACE method. A client's method choice is not a
 *    server fault: 405 with Allow, like PUT/PATCH/OPTIONS.
 * 2. A valid request followed in the same packet by garbage lost its own answer: node's default
 *    'clientError' handler wrote 400 and destroyed the socket while the first response was still being
 *    produced, so the client saw only the 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll, MODERN, spawnHostlens } from '../e2e/helpers.js';
import { exchange, httpRequest, splitResponses } from './raw-socket.js';

const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: META } });

describe('node HTTP layer regressions found by the hostile suite', { timeout: 60_000 }, () => {
  let port: number;
  let host: string;
  before(async () => {
    const server = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_RATE_LIMIT: '1000,2000' } });
    ({ port } = await server.listening());
    host = `127.0.0.1:${port}`;
  });
  after(async () => {
    await killAll();
  });

  test('TRACE on /mcp and /healthz → 405 with Allow, not 500', async () => {
    for (const path of ['/mcp', '/healthz']) {
      const r = await exchange(port, [httpRequest('TRACE', path, { host })], { responses: 1, timeoutMs: 5_000 });
      const [res] = splitResponses(r.text);
      assert.equal(res?.status, 405, `${path}: ${JSON.stringify(r.text.slice(0, 200))}`);
      assert.ok(res?.headers.allow, `${path}: Allow header`);
    }
  });

  test('a valid request pipelined with garbage is still answered (200) before the 400', async () => {
    const headers = { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' };
    const r = await exchange(port, [`${httpRequest('POST', '/mcp', headers, LIST)}GARBAGE\r\n\r\n`], { timeoutMs: 5_000 });
    assert.deepEqual(splitResponses(r.text).map((x) => x.status), [200, 400]);
  });
});
