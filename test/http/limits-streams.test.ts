/**
 * The per-principal stream cap over real HTTP with two static tokens
 * (maxStreamsPerPrincipal 3): legacy GET streams and subscriptions/listen
 * streams count, the next stream or call of that principal is refused with
 * 429 + Retry-After (JSON-RPC -32000, id echoed), notifications and DELETE
 * still pass, another principal is still admitted, and a stream the client
 * drops is counted down so a new one is admitted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { SCOPES } from '../../src/contracts/scopes.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import {
  delay,
  expectJsonRpcError,
  initializeBody,
  LEGACY_VERSIONS,
  legacyHeaders,
  modernMeta,
  postModern,
  readMessages,
  readResponse,
  startApp,
  within,
} from './helpers.js';
import type { Running } from './helpers.js';

const V = LEGACY_VERSIONS[0];
const TOKENS = { a: 'stream-cap-token-a-0123456789', b: 'stream-cap-token-b-0123456789' };
const auth = (who: keyof typeof TOKENS): Record<string, string> => ({ authorization: `Bearer ${TOKENS[who]}` });

describe('stream cap per principal (real HTTP, two tokens)', () => {
  let r: Running;
  const open: AbortController[] = [];
  before(async () => {
    r = await startApp({
      authenticator: createAuthenticator({ tokens: Object.entries(TOKENS).map(([name, token]) => ({ name, sha256: sha256Hex(token), scopes: [...SCOPES] })) }),
      maxStreamsPerPrincipal: 3,
      keepAliveMs: 500,
    });
  });
  after(async () => {
    for (const c of open) c.abort();
    await r.app.close();
  });

  const initialize = async (who: keyof typeof TOKENS): Promise<string> => {
    const res = await fetch(r.url, { method: 'POST', headers: { ...legacyHeaders(V), ...auth(who) }, body: JSON.stringify(initializeBody(V)) });
    assert.equal(res.status, 200);
    const sid = res.headers.get('mcp-session-id');
    assert.ok(sid);
    await readMessages(res);
    const ack = await fetch(r.url, { method: 'POST', headers: { ...legacyHeaders(V, sid), ...auth(who) }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    assert.equal(ack.status, 202);
    return sid;
  };
  const getStream = async (who: keyof typeof TOKENS, sid: string): Promise<{ res: Response; controller: AbortController }> => {
    const controller = new AbortController();
    open.push(controller);
    const res = await fetch(r.url, { method: 'GET', headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream', ...auth(who) }, signal: controller.signal });
    return { res, controller };
  };
  const listen = async (who: keyof typeof TOKENS, id: string): Promise<{ res: Response; controller: AbortController }> => {
    const controller = new AbortController();
    open.push(controller);
    const res = await postModern(r.url, {
      method: 'subscriptions/listen',
      id,
      params: { notifications: { toolsListChanged: true }, _meta: modernMeta() },
      headers: auth(who),
      signal: controller.signal,
    });
    return { res, controller };
  };
  const echo = (who: keyof typeof TOKENS, id: string): Promise<Response> =>
    postModern(r.url, { method: 'tools/call', id, params: { name: 'echo', arguments: { text: id }, _meta: modernMeta() }, headers: auth(who) });

  test('3 streams of one principal (2 GET + 1 listen) fill its cap; the next stream or call → 429; notifications, DELETE and the other principal pass; a dropped stream frees its slot', async () => {
    const sids = [await initialize('a'), await initialize('a'), await initialize('a')];
    const s1 = await getStream('a', sids[0]!);
    const s2 = await getStream('a', sids[1]!);
    assert.equal(s1.res.status, 200);
    assert.equal(s2.res.status, 200);
    assert.match(s1.res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const l1 = await listen('a', 'listen-1');
    assert.equal(l1.res.status, 200);

    // A third GET stream, a call and a listen by `a` are all refused.
    const refusedGet = await getStream('a', sids[2]!);
    const body = await expectJsonRpcError(refusedGet.res, 429, -32000, { id: null });
    assert.equal(refusedGet.res.headers.get('retry-after'), '5');
    assert.match(body.error.message, /3 streams or calls open \(maxStreamsPerPrincipal 3\)/);
    await expectJsonRpcError(await echo('a', 'over-cap'), 429, -32000, { id: 'over-cap' });
    const legacyCall = await fetch(r.url, {
      method: 'POST',
      headers: { ...legacyHeaders(V, sids[2]), ...auth('a') },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }),
    });
    await expectJsonRpcError(legacyCall, 429, -32000, { id: 7 });
    await expectJsonRpcError((await listen('a', 'listen-2')).res, 429, -32000, { id: 'listen-2' });

    // Notifications and DELETE take no slot.
    const note = await fetch(r.url, { method: 'POST', headers: { ...legacyHeaders(V, sids[2]), ...auth('a') }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    assert.equal(note.status, 202);
    const del = await fetch(r.url, { method: 'DELETE', headers: { ...legacyHeaders(V, sids[2]), ...auth('a') } });
    assert.equal(del.status, 200);
    await del.body?.cancel();

    // The other principal is admitted.
    const sidB = await initialize('b');
    const b1 = await getStream('b', sidB);
    assert.equal(b1.res.status, 200);
    const okB = await echo('b', 'b-call');
    assert.equal(okB.status, 200);
    assert.equal((await readResponse(okB)).id, 'b-call');

    // `a` drops its listen stream (client disconnect): the slot comes back.
    l1.controller.abort();
    await within(5_000, 'a call admitted after the dropped stream', (async () => {
      for (;;) {
        const res = await echo('a', 'after-drop');
        if (res.status === 200) return assert.equal((await readResponse(res)).id, 'after-drop');
        assert.equal(res.status, 429);
        await res.body?.cancel();
        await delay(50);
      }
    })());
    // Closing a GET stream frees another: a new GET on the first session is admitted.
    s1.controller.abort();
    await within(5_000, 'a GET admitted after the dropped stream', (async () => {
      for (;;) {
        const again = await getStream('a', sids[0]!);
        if (again.res.status === 200) return;
        assert.ok(again.res.status === 429 || again.res.status === 409, `status ${again.res.status}`);
        await again.res.body?.cancel();
        await delay(50);
      }
    })());
  });

  test('without auth each local client is capped on its own: a session at its cap is 429, another session and a new connection are served', async () => {
    // Every client here is this one process, which would make them one client (src/server/tenant.ts): the peer is
    // named by uid only, as when its process cannot be found, so each session and connection is a client of its own.
    const anon = await startApp({ maxStreamsPerPrincipal: 1, keepAliveMs: 500, localPeers: { lookup: async () => process.geteuid?.() ?? 0 } });
    const controller = new AbortController();
    try {
      const openSession = async (): Promise<string> => {
        const res = await fetch(anon.url, { method: 'POST', headers: legacyHeaders(V), body: JSON.stringify(initializeBody(V)) });
        const sid = res.headers.get('mcp-session-id');
        assert.ok(sid);
        await readMessages(res);
        return sid;
      };
      const [s1, s2] = [await openSession(), await openSession()];
      const stream = await fetch(anon.url, { method: 'GET', headers: { ...legacyHeaders(V, s1), accept: 'text/event-stream' }, signal: controller.signal });
      assert.equal(stream.status, 200);
      const same = await fetch(anon.url, { method: 'POST', headers: legacyHeaders(V, s1), body: JSON.stringify({ jsonrpc: '2.0', id: 'c', method: 'tools/list' }) });
      await expectJsonRpcError(same, 429, -32000, { id: 'c' });
      const other = await fetch(anon.url, { method: 'POST', headers: legacyHeaders(V, s2), body: JSON.stringify({ jsonrpc: '2.0', id: 'd', method: 'tools/list' }) });
      assert.equal(other.status, 200);
      await readResponse(other);
      const modern = await postModern(anon.url, { method: 'tools/call', id: 'm', params: { name: 'echo', arguments: { text: 'x' }, _meta: modernMeta() } });
      assert.equal(modern.status, 200);
      await modern.body?.cancel();
    } finally {
      controller.abort();
      await anon.app.close();
    }
  });
});
