/**
 * Ambiguous request framing and echo amplification against a spawned `hostlens serve`, over raw
 * node:net sockets (every exchange bounded by a socket timeout, so a hang fails instead of waiting):
 *
 * - several Host headers (same or different values, `Host`/`host`/`HOST`) → 400 and closed;
 * - Transfer-Encoding `xchunked`, `gzip`, `identity`, `chunked, gzip` → 400 and closed (the body
 *   length cannot be determined); `gzip, chunked` → 501 and closed; TE with Content-Length, two TE
 *   lines, obs-fold → 400 and closed; ` CHUNKED ` (whitespace, case) is valid and served;
 * - huge client strings that errors could echo (Mcp-Name, Mcp-Session-Id, MCP-Protocol-Version, Accept,
 *   Content-Type, Mcp-Method headers; method, tool, prompt and resource names, ids in the body) → every
 *   error ≤ 4 KiB and no echo longer than 256 characters, in both eras.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCEPT, legacyHeaders, MODERN, modernMeta, openLegacySession, readResponse } from '../http/helpers.js';
import { assertNoLeak, servePerSuite } from './harness.js';
import { exchange, splitResponses } from './raw-socket.js';
import { formatLoopStats, probeDuring } from './loop-probe.js';

const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } });
const SMALL = 4_096;

describe('request framing and echoes', { timeout: 120_000 }, () => {
  const served = servePerSuite({ HOSTLENS_RATE_LIMIT: '1000,2000' });

  function head(lines: string[]): string {
    const { port } = served();
    return [`POST /mcp HTTP/1.1`, `content-type: application/json`, `accept: ${ACCEPT}`, `mcp-protocol-version: ${MODERN}`, `mcp-method: tools/list`, ...lines.map((l) => l.replace('HOSTPORT', `127.0.0.1:${port}`))].join('\r\n');
  }

  async function refusedAndClosed(what: string, request: string, status: number): Promise<void> {
    const r = await exchange(served().port, [request], { timeoutMs: 5_000 });
    const responses = splitResponses(r.text);
    assert.ok(r.closed, `${what}: the connection was not closed (${r.ms} ms): ${JSON.stringify(r.text.slice(0, 200))}`);
    assert.equal(responses.length, 1, `${what}: ${responses.length} responses: ${JSON.stringify(r.text.slice(0, 300))}`);
    assert.equal(responses[0]!.status, status, `${what}: ${responses[0]!.body}`);
    assert.equal((JSON.parse(responses[0]!.body) as { error: { code: number } }).error.code, -32000);
    assertNoLeak(responses[0]!.body, what);
  }

  async function serves(): Promise<void> {
    const r = await exchange(served().port, [`${head(['host: HOSTPORT', `content-length: ${PING.length}`])}\r\n\r\n${PING}`], { timeoutMs: 10_000, responses: 1 });
    assert.equal(splitResponses(r.text)[0]?.status, 200, r.text.slice(0, 300));
  }

  test('more than one Host header, any spelling, same or different values → 400 and closed', async () => {
    for (const [a, b] of [['host', 'host'], ['Host', 'HOST'], ['host', 'hOsT']]) {
      for (const other of ['HOSTPORT', 'evil.example', 'localhost']) {
        const req = `${head([`${a}: HOSTPORT`, `${b}: ${other}`, `content-length: ${PING.length}`])}\r\n\r\n${PING}`;
        await refusedAndClosed(`${a} + ${b}: ${other}`, req, 400);
      }
    }
    await serves();
  });

  test('Transfer-Encoding other than chunked → 400/501 and closed, never a hang; " CHUNKED " is served', async () => {
    const chunked = `${PING.length.toString(16)}\r\n${PING}\r\n0\r\n\r\n`;
    const cases: Array<[string, string[], string, number]> = [
      ['xchunked', ['transfer-encoding: xchunked'], chunked, 400],
      ['gzip', ['transfer-encoding: gzip'], PING, 400],
      ['identity', ['transfer-encoding: identity', `content-length: ${PING.length}`], PING, 400],
      ['chunked, gzip', ['transfer-encoding: chunked, gzip'], chunked, 400],
      ['gzip, chunked', ['transfer-encoding: gzip, chunked'], chunked, 501],
      ['TE + CL', ['transfer-encoding: chunked', 'content-length: 3'], chunked, 400],
      ['two TE lines', ['transfer-encoding: chunked', 'transfer-encoding: chunked'], chunked, 400],
      ['chunked then xchunked', ['transfer-encoding: chunked', 'transfer-encoding: xchunked'], chunked, 400],
      ['obs-fold', ['transfer-encoding:', ' chunked'], chunked, 400],
    ];
    for (const [what, lines, body, status] of cases) await refusedAndClosed(what, `${head(['host: HOSTPORT', ...lines])}\r\n\r\n${body}`, status);
    const get = `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${served().port}\r\ntransfer-encoding: xchunked\r\n\r\n`;
    await refusedAndClosed('GET /healthz with xchunked', get, 400);
    const ok = await exchange(served().port, [`${head(['host: HOSTPORT', 'Transfer-Encoding:   CHUNKED  '])}\r\n\r\n${chunked}`], { timeoutMs: 10_000, responses: 1 });
    assert.equal(splitResponses(ok.text)[0]?.status, 200, ok.text.slice(0, 300));
    await serves();
  });

  test('huge header values that errors could echo → every answer ≤ 4 KiB, both eras', async () => {
    const { url } = served();
    const sid = await openLegacySession(url, '2025-11-25');
    const big = 'e'.repeat(14_000); // node refuses heads over 16 KiB (431)
    const modern = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' };
    const cases: Array<[string, Record<string, string>]> = [
      ['Mcp-Name', { ...modern, 'mcp-method': 'tools/call', 'mcp-name': big }],
      ['Mcp-Method', { ...modern, 'mcp-method': big }],
      ['MCP-Protocol-Version (modern)', { ...modern, 'mcp-protocol-version': big }],
      ['MCP-Protocol-Version (session)', legacyHeaders('2025-11-25', sid, { 'mcp-protocol-version': big })],
      ['Mcp-Session-Id', legacyHeaders('2025-11-25', big)],
      ['Accept', { ...modern, accept: `${ACCEPT}, ${big}` }],
      ['Accept (refused)', { ...modern, accept: big }],
      ['Content-Type', { ...modern, 'content-type': big }],
    ];
    for (const [what, headers] of cases) {
      for (const method of ['POST', 'GET', 'DELETE'] as const) {
        const res = await fetch(url, { method, headers, ...(method === 'POST' ? { body: PING } : {}), signal: AbortSignal.timeout(10_000) });
        const text = method === 'GET' && res.status === 200 ? (await res.body?.cancel(), '') : await res.text();
        // A valid request (Accept listing the big type besides the right ones) is answered in full: only errors must stay small.
        if (res.status >= 400) assert.ok(text.length <= SMALL, `${what} (${method}): a ${text.length}-byte answer (${res.status}): ${text.slice(0, 200)}`);
        assert.ok(!text.includes(big.slice(0, 300)), `${what} (${method}): echoed more than 256 characters`);
      }
    }
  });

  test('huge method, tool, prompt and resource names and ids in the body → 404 -32601 / 400 -32602 with the id before the SDK builds an echo, every answer ≤ 4 KiB, both eras', async (t) => {
    const { url, port } = served();
    const sid = await openLegacySession(url, '2025-11-25');
    const huge = 'x'.repeat(3_000_000);
    const bodies: Array<[string, string, Record<string, unknown>, number, RegExp, string?]> = [
      ['method', huge, {}, -32601, /method name of 3000000 characters \(at most 1024\)/],
      ['tool name', 'tools/call', { name: huge, arguments: {} }, -32602, /tool name of 3000000 characters/, 'get_cpu'],
      ['prompt name', 'prompts/get', { name: huge }, -32602, /prompt name of 3000000 characters/, 'triage'],
      ['resource URI', 'resources/read', { uri: `diag://local/config/${huge}` }, -32602, /resource URI of 3000020 characters \(at most 16384\)/, 'diag://thresholds'],
      ['resource URI (subscribe)', 'resources/subscribe', { uri: `diag://${huge}` }, -32602, /resource URI/],
      ['resource URI (unsubscribe)', 'resources/unsubscribe', { uri: `diag://${huge}` }, -32602, /resource URI/],
      ['completion ref', 'completion/complete', { ref: { type: 'ref/prompt', name: huge }, argument: { name: 'symptom', value: 'x' } }, -32602, /completion ref name/],
      ['completion ref URI', 'completion/complete', { ref: { type: 'ref/resource', uri: `diag://local/config/${huge}` }, argument: { name: 'path', value: 'x' } }, -32602, /resource URI/],
    ];
    for (const era of ['modern', 'legacy'] as const) {
      for (const [what, method, params, code, message, headerName] of bodies) {
        const body = JSON.stringify({ jsonrpc: '2.0', id: 9, method, params: { ...params, ...(era === 'modern' ? { _meta: modernMeta() } : {}) } });
        const headers =
          era === 'modern'
            ? { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method.length > 100 ? 'tools/list' : method, ...(headerName ? { 'mcp-name': headerName } : {}) }
            : legacyHeaders('2025-11-25', sid);
        const { result: res, stats } = await probeDuring(port, () => fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(20_000) }));
        t.diagnostic(formatLoopStats(`3 MB ${what} (${era})`, stats));
        const text = await res.text();
        assert.equal(res.status, code === -32601 ? 404 : 400, `${what} (${era}): ${text.slice(0, 200)}`);
        assert.ok(text.length <= SMALL, `${what} (${era}): a ${text.length}-byte answer (${res.status}): ${text.slice(0, 200)}`);
        const msg = JSON.parse(text) as { id: unknown; error: { code: number; message: string; data?: { uri?: string } } };
        assert.deepEqual([msg.id, msg.error.code], [9, code], `${what} (${era}): ${text.slice(0, 300)}`);
        assert.match(msg.error.message, message);
        if (/URI/.test(what)) assert.ok((msg.error.data?.uri?.length ?? 0) < 300, `${what} (${era}): data.uri clipped`);
        assertNoLeak(text, `${what} (${era})`);
      }
      const idBody = JSON.stringify({ jsonrpc: '2.0', id: huge, method: 'tools/list', params: era === 'modern' ? { _meta: modernMeta() } : {} });
      const headers = era === 'modern' ? { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' } : legacyHeaders('2025-11-25', sid);
      const res = await fetch(url, { method: 'POST', headers, body: idBody });
      const text = await res.text();
      assert.equal(res.status, 400, text.slice(0, 200));
      assert.ok(text.length <= SMALL, `id (${era}): ${text.length} bytes`);
      assert.deepEqual((JSON.parse(text) as { error: { code: number }; id: unknown }).error.code, -32600);
    }
    await serves();
  });

  test('names and URIs at the bound still reach the SDK: a 1,024-char tool name is an unknown tool, a config URI with a 4,001-char path is read (and refused) as a file', async () => {
    const { url } = served();
    const sid = await openLegacySession(url, '2025-11-25');
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['tools/call', { name: 't'.repeat(1_024), arguments: {} }, /^Tool t{200}/],
      ['resources/read', { uri: `diag://local/config/${'p/'.repeat(2_000)}` }, /not a regular file|not found|not allow/i],
    ];
    for (const [method, params, message] of cases) {
      const res = await fetch(url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify({ jsonrpc: '2.0', id: 3, method, params }) });
      const msg = (await readResponse(res)) as { id?: unknown; error?: { code: number; message: string } };
      const text = JSON.stringify(msg).slice(0, 300);
      assert.equal(msg.id, 3, text);
      assert.equal(msg.error?.code, -32602, text);
      assert.match(msg.error.message, message);
      assert.doesNotMatch(msg.error.message, /at most (1024|16384)/);
    }
  });
});
