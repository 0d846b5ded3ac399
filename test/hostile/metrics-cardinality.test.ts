/**
 * Hostile names must not become Prometheus labels: against a real `hostlens serve`, 150 rounds of a unique
 * unknown tool name, a unique unknown JSON-RPC method, a unique resource URI and a unique prompt name. /metrics
 * afterwards holds none of those strings and its series count stays bounded (labels come from the catalogue
 * and the spec's method list, not from what clients send).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODERN } from '../e2e/helpers.js';
import { servePerSuite } from './harness.js';

const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const ROUNDS = 150;

describe('hostile names and metric cardinality', { timeout: 90_000 }, () => {
  const served = servePerSuite({ HOSTLENS_RATE_LIMIT: '10000,20000' });

  async function post(method: string, params: Record<string, unknown>, name?: string): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method };
    if (name !== undefined) headers['mcp-name'] = name;
    const res = await fetch(served().url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: META } }) });
    assert.ok(res.status < 500, `${method}: ${res.status}`);
    await res.text();
  }

  const series = (text: string): number => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

  test(`${ROUNDS} unique unknown tools, methods, URIs and prompts add no labels`, async () => {
    const metricsUrl = served().url.replace(/\/mcp$/, '/metrics');
    await post('tools/call', { name: 'get_memory', arguments: {} }, 'get_memory');
    const before = await (await fetch(metricsUrl)).text();
    for (let i = 0; i < ROUNDS; i++) {
      const tag = `hostilelabel${i}x`;
      await post('tools/call', { name: `${tag}_tool`, arguments: {} }, `${tag}_tool`);
      await post(`${tag}/method`, {});
      await post('resources/read', { uri: `diag://${tag}/r` }, `diag://${tag}/r`);
      await post('prompts/get', { name: `${tag}_prompt` }, `${tag}_prompt`);
    }
    const afterText = await (await fetch(metricsUrl)).text();
    assert.doesNotMatch(afterText, /hostilelabel/, 'a client-chosen name became a label');
    const grown = series(afterText) - series(before);
    assert.ok(grown < 200, `/metrics grew by ${grown} series after ${ROUNDS * 4} hostile requests`);
  });
});
