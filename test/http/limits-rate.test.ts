/**
 * The per-principal rate limit over real HTTP with two static tokens (1
 * request/s, burst 3): the 4th request of one token is 429 with Retry-After
 * and a JSON-RPC error echoing the id, the other token is unaffected, /healthz,
 * /readyz and the RFC 9728 metadata are never limited, a refused request is
 * not served (no session is created), and after Retry-After the token is
 * admitted again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { SCOPES } from '../../src/contracts/scopes.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { delay, expectJsonRpcError, initializeBody, LEGACY_VERSIONS, legacyHeaders, modernMeta, postModern, readResponse, startApp } from './helpers.js';
import type { Running } from './helpers.js';

const V = LEGACY_VERSIONS[0];
const TOKENS = { a: 'rate-limit-token-a-0123456789', b: 'rate-limit-token-b-0123456789' };
const auth = (who: keyof typeof TOKENS): Record<string, string> => ({ authorization: `Bearer ${TOKENS[who]}` });

describe('rate limit per principal (real HTTP, two tokens)', () => {
  let r: Running;
  before(async () => {
    r = await startApp({
      authenticator: createAuthenticator({ tokens: Object.entries(TOKENS).map(([name, token]) => ({ name, sha256: sha256Hex(token), scopes: [...SCOPES] })) }),
      rateLimit: { requestsPerSec: 1, burst: 3 },
    });
  });
  after(async () => {
    await r.app.close();
  });

  const echo = (who: keyof typeof TOKENS, id: string | number): Promise<Response> =>
    postModern(r.url, { method: 'tools/call', id, params: { name: 'echo', arguments: { text: String(id) }, _meta: modernMeta() }, headers: auth(who) });

  test('burst then 429 + Retry-After (id echoed); the other token, health and metadata are unaffected; admitted again after Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await echo('a', i);
      assert.equal(res.status, 200, `request ${i + 1} of the burst`);
      assert.equal((await readResponse(res)).id, i);
    }
    const refused = await echo('a', 'fourth');
    const retryAfter = refused.headers.get('retry-after');
    const body = await expectJsonRpcError(refused, 429, -32000, { id: 'fourth' });
    assert.match(body.error.message, /rate limit \(1 requests\/s, burst 3\)/);
    assert.ok(retryAfter && /^[1-9]\d*$/.test(retryAfter), `Retry-After: ${retryAfter}`);
    assert.equal(retryAfter, '1');

    // A refused initialize is not served: no session appears.
    const sessions = (await r.app.sessions.count());
    const init = await fetch(r.url, { method: 'POST', headers: { ...legacyHeaders(V), ...auth('a') }, body: JSON.stringify(initializeBody(V, 'init')) });
    await expectJsonRpcError(init, 429, -32000, { id: 'init' });
    assert.equal(init.headers.get('mcp-session-id'), null);
    assert.equal((await r.app.sessions.count()), sessions);
    // GET (no body): id null.
    const get = await fetch(r.url, { method: 'GET', headers: { ...legacyHeaders(V, 'whatever'), accept: 'text/event-stream', ...auth('a') } });
    await expectJsonRpcError(get, 429, -32000, { id: null });

    const other = await echo('b', 'b-1');
    assert.equal(other.status, 200, 'another principal has its own bucket');
    await other.body?.cancel();
    for (const path of ['/healthz', '/readyz', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(r.at(path));
      assert.equal(res.status, 200, path);
      await res.body?.cancel();
    }

    await delay(Number(retryAfter) * 1000 + 50);
    const again = await echo('a', 'again');
    assert.equal(again.status, 200, 'admitted again after Retry-After');
    assert.equal((await readResponse(again)).id, 'again');
  });

  test('an unauthenticated request is answered 401, not 429, and does not drain a bucket', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await postModern(r.url, { method: 'tools/list', id: i, params: { _meta: modernMeta() } });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    await delay(1_100); // b (one request in the previous test, ≥ 1 s ago) has its full burst again
    for (let i = 0; i < 3; i++) {
      const res = await echo('b', `b-${i}`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
  });
});
