/**
 * Hostile Authorization headers against `hostlens serve` with a static token
 * and an OAuth issuer whose JWKS is unreachable (127.0.0.1:1): missing, empty,
 * "Bearer" alone, Basic, wrong, 8 KB, non-ASCII, trailing junk, two headers
 * (even twice the right token), JWTs with alg none, a forged RS256 signature,
 * a 6 KB header, a nested-array bomb and __proto__ claims. Each is 400
 * invalid_request or 401 with `WWW-Authenticate: Bearer … resource_metadata=`,
 * a JSON-RPC body, answered without waiting on the dead JWKS, and neither
 * the answer nor the server log ever holds the token; the right token, then,
 * is served.
 *
 * "Without waiting" is read from what the server did, never from a stopwatch:
 * every case gets its answer (the exchange deadline is only a hang guard, far
 * above the milliseconds a refusal takes), and every JWKS fetch the forged
 * tokens caused ended by the refused connection, none by the fetch timeout
 * (which the server would log by name). Latencies are printed only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll, MODERN, spawnHostlens } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';
import { exchange, httpRequest, splitResponses } from './raw-socket.js';

const TOKEN = 'hostile-static-token-0123456789';
const ISSUER = 'http://127.0.0.1:1';
const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_cpu', arguments: {}, _meta: META } });
const b64 = (v: string): string => Buffer.from(v).toString('base64url');
const jwt = (header: object, payload: object, sig = 'c2ln'): string => `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}.${sig}`;
const CLAIMS = { iss: ISSUER, aud: 'http://127.0.0.1/mcp', exp: 9_999_999_999, sub: 'mallory', scope: 'hostlens:admin hostlens:read' };

describe('hostile Authorization headers', { timeout: 60_000 }, () => {
  let server: Spawned;
  let port: number;
  let headers: Record<string, string>;
  before(async () => {
    server = spawnHostlens(['serve', '--port', '0'], {
      env: {
        HOSTLENS_AUTH_TOKEN: TOKEN,
        HOSTLENS_AUTH: JSON.stringify({ oauth: { issuer: ISSUER, jwksUri: `${ISSUER}/jwks`, audience: 'http://127.0.0.1/mcp' } }),
        HOSTLENS_RATE_LIMIT: '1000,2000',
      },
    });
    ({ port } = await server.listening());
    headers = { host: `127.0.0.1:${port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_cpu' };
  });
  after(async () => {
    await killAll();
  });

  test('every malformed, wrong or forged credential → 400/401 with a Bearer challenge, no wait on the issuer, never echoed', async (t) => {
    const cases: Array<[string, string | string[] | undefined, 400 | 401]> = [
      ['no header', undefined, 401],
      ['empty', '', 401],
      ['"Bearer" alone', 'Bearer', 400],
      ['Basic credentials', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`, 401],
      ['a wrong token', 'Bearer wrong-token-wrong-token', 401],
      ['an 8 KB token', `Bearer ${'a'.repeat(8_000)}`, 401],
      ['non-ASCII', 'Bearer t\u00f6k\u00e9n-\u00fc\u00fc\u00fc\u00fc\u00fc\u00fc\u00fc\u00fc\u00fc', 400],
      ['the token plus junk', `Bearer ${TOKEN} junk`, 400],
      ['two headers, right then wrong', [`Bearer ${TOKEN}`, 'Bearer nope-nope-nope-nope'], 400],
      ['two headers, both right', [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`], 400],
      ['JWT alg none', `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, CLAIMS, '')}`, 401],
      ['JWT RS256 forged signature', `Bearer ${jwt({ alg: 'RS256', kid: 'k1' }, CLAIMS)}`, 401],
      ['JWT HS256 (symmetric, not allowed)', `Bearer ${jwt({ alg: 'HS256' }, CLAIMS)}`, 401],
      ['JWT with a 6 KB header', `Bearer ${jwt({ alg: 'RS256', pad: 'y'.repeat(6_000) }, CLAIMS)}`, 401],
      ['JWT header a nested-array bomb', `Bearer ${b64('['.repeat(3_000))}.${b64('{}')}.c2ln`, 401],
      ['JWT with __proto__ claims', `Bearer ${b64('{"alg":"RS256","__proto__":{"alg":"none"}}')}.${b64(`{"__proto__":{"scope":"hostlens:admin"},"iss":"${ISSUER}"}`)}.c2ln`, 401],
    ];
    let slowest = { label: '', ms: 0 };
    for (const [label, auth, status] of cases) {
      const h: Record<string, string | string[]> = { ...headers };
      if (auth !== undefined) h.authorization = auth;
      const r = await exchange(port, [httpRequest('POST', '/mcp', h, CALL)], { responses: 1, timeoutMs: 10_000 });
      const [res] = splitResponses(r.text);
      assert.ok(res, `${label}: no answer`);
      assert.equal(res.status, status, `${label}: ${res.status} ${res.body.slice(0, 200)}`);
      if (r.ms >= slowest.ms) slowest = { label, ms: r.ms };
      const challenge = res.headers['www-authenticate'] ?? '';
      assert.match(challenge, /^Bearer /, label);
      assert.match(challenge, /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/, label);
      const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(typeof body.error.code, 'number');
      assert.ok(!r.text.includes(TOKEN), `${label}: the token was echoed`);
    }
    t.diagnostic(`slowest refusal: ${slowest.label}, ${slowest.ms} ms`);
    // The forged RS256 tokens reach the JWKS; the issuer's port refuses connections, so a verification that
    // ended any other way than by that refusal (a timeout) waited on the issuer instead of answering.
    const unavailable = server.logs().filter((l) => l.msg === 'oauth: token verification unavailable');
    assert.ok(unavailable.length > 0, 'a forged RS256 token made the server try the JWKS');
    for (const l of unavailable) assert.doesNotMatch(String(l.error), /timeout|timed out|abort/i, 'a JWKS fetch was waited out, not refused');
    const ok = await exchange(port, [httpRequest('POST', '/mcp', { ...headers, authorization: `Bearer ${TOKEN}` }, CALL)], { responses: 1, timeoutMs: 15_000 });
    assert.equal(splitResponses(ok.text)[0]?.status, 200, 'the right token is served');
    assert.ok(!server.stderr().includes(TOKEN), 'the token reached the server log');
  });
});
