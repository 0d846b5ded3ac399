/**
 * Hostile legacy-session handling over real HTTP: session fixation (initialize carrying an attacker-chosen
 * Mcp-Session-Id is refused, no session adopts the chosen id), a second initialize inside a live session
 * (400 -32600, the session keeps working), and look-alike ids — 10 KB, non-ASCII, upper-cased, another
 * session's id with one character changed — on POST, GET and DELETE: 404 -32001, and the real session is
 * neither served to nor deleted by them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectJsonRpcError, initializeBody, legacyHeaders, openLegacySession, readResponse } from '../http/helpers.js';
import { productHttpPerSuite } from './harness.js';

describe('hostile legacy session ids', { timeout: 30_000 }, () => {
  const app = productHttpPerSuite();

  const ping = (sid: string): Promise<Response> =>
    fetch(app().url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify({ jsonrpc: '2.0', id: 'ping', method: 'ping' }) });

  test('initialize with an attacker-chosen Mcp-Session-Id → 404, and that id never becomes a session', async () => {
    const chosen = 'attacker-chosen-session-id';
    const res = await fetch(app().url, { method: 'POST', headers: legacyHeaders('2025-11-25', chosen), body: JSON.stringify(initializeBody('2025-11-25')) });
    assert.equal(res.headers.get('mcp-session-id'), null);
    await expectJsonRpcError(res, 404, -32001);
    await expectJsonRpcError(await ping(chosen), 404, -32001);
  });

  test('a second initialize inside a live session → 400 -32600; the session still answers', async () => {
    const sid = await openLegacySession(app().url);
    const again = await fetch(app().url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify(initializeBody('2025-11-25', 7)) });
    await expectJsonRpcError(again, 400, -32600);
    const res = await ping(sid);
    assert.equal(res.status, 200);
    assert.deepEqual((await readResponse(res)).result, {});
  });

  test('look-alike ids on POST, GET and DELETE → 404 -32001; the real session is neither served nor deleted', async () => {
    const sid = await openLegacySession(app().url);
    const flipped = `${sid.slice(0, -1)}${sid.endsWith('0') ? '1' : '0'}`;
    for (const id of ['s'.repeat(10_000), 'sessi\u00f6n', sid.toUpperCase() === sid ? `${sid}X` : sid.toUpperCase(), flipped, `${sid},${sid}`]) {
      const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
      await expectJsonRpcError(await ping(id), 404, -32001);
      await expectJsonRpcError(await fetch(app().url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' } }), 404, -32001);
      await expectJsonRpcError(await fetch(app().url, { method: 'DELETE', headers }), 404, -32001);
    }
    const res = await ping(sid);
    assert.equal(res.status, 200, 'the real session survived every look-alike DELETE');
    await res.body?.cancel();
  });
});
