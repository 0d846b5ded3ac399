/**
 * Bad access tokens against a real `hostlens serve` whose `auth.oauth`
 * points at a real OpenID provider (oidc-provider on loopback). Tokens come
 * from the provider itself where it can make them (a 2-second token that
 * expires, a token for another resource, a token from a second provider
 * instance) and are forged with the provider's own key otherwise (expired,
 * another issuer, another audience: each check alone), plus a re-signed
 * token (another key, same `kid`), a tampered payload, `alg: none` and HS256,
 * real tokens signed with algorithms outside hostlens's allow-list, and an
 * OpenID ID token presented as an access token.
 * Each → 401 `WWW-Authenticate: Bearer error="invalid_token"` with the
 * resource metadata URL, a JSON-RPC error body, and the next good request is
 * served. No token, good or bad, appears in hostlens's stderr (debug level).
 * And with the issuer unreachable: 401 invalid_token, never a 5xx.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { authorizationCodeFlow, HOSTLENS_SCOPES, jwtClaims, startOidc, unsignedJwt } from '../support/oidc.js';
import type { OidcHandle } from '../support/oidc.js';
import { delay, freePorts, INITIALIZE, MCP_POST_HEADERS, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';
import { OTHER_RESOURCE, startOauthStack } from './oauth-stack.js';
import type { OauthStack } from './oauth-stack.js';

const FULL = { id: 'full', secret: 'full-secret-0123456789abcdef', scopes: HOSTLENS_SCOPES } as const;
const SHORT = { id: 'short', secret: 'short-secret-0123456789abcdef', scopes: ['hostlens:read'], accessTokenTtlSec: 2 } as const;
const REDIRECT = 'http://127.0.0.1:47124/callback';
const BROWSER = { id: 'browser', redirectUri: REDIRECT, scopes: ['hostlens:read'] } as const;
const CLOCK_SKEW_SEC = 1;
/** One client per signing algorithm: hostlens's default allow-list is RS256, PS256, ES256, EdDSA. */
const ALLOWED_ALGS = ['PS256', 'ES256', 'EdDSA'] as const;
const REFUSED_ALGS = ['RS384', 'ES384'] as const;
const ALG_CLIENTS = [...ALLOWED_ALGS, ...REFUSED_ALGS].map((alg) => ({ id: `alg-${alg}`, secret: `alg-secret-${alg}-0123456789`, scopes: ['hostlens:read'] as const, alg }));

describe('bad access tokens against hostlens with a real OpenID provider', { timeout: 60_000 }, () => {
  let stack: OauthStack;
  let rogue: OidcHandle;
  const allTokens: string[] = [];

  before(async () => {
    stack = await startOauthStack({ clients: [FULL, SHORT, BROWSER, ...ALG_CLIENTS], clockSkewSec: CLOCK_SKEW_SEC });
    // A second, independent provider that also issues tokens for hostlens's resource.
    rogue = await within(10_000, 'second provider', startOidc({ resources: [stack.url], clients: [FULL] }));
  });
  after(async () => {
    await rogue?.stop();
    await stack?.stop();
  });

  const post = async (token: string | null, body = INITIALIZE): Promise<{ status: number; wwwAuthenticate: string; body: string }> => {
    if (token !== null) allTokens.push(token);
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { ...MCP_POST_HEADERS, ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') ?? '', body: await res.text() };
  };
  const goodToken = async (): Promise<string> => (await stack.op.clientCredentials(FULL.id, { resource: stack.url, scope: HOSTLENS_SCOPES.join(' ') })).access_token;
  const now = (): number => Math.floor(Date.now() / 1000);
  const claims = (over: JWTPayload = {}): JWTPayload => ({
    iss: stack.op.issuer,
    aud: stack.url,
    sub: 'forged',
    client_id: 'full',
    scope: HOSTLENS_SCOPES.join(' '),
    iat: now(),
    exp: now() + 300,
    jti: `j-${Math.random()}`,
    ...over,
  });

  const expectInvalidToken = async (token: string, what: string): Promise<void> => {
    const res = await post(token);
    assert.equal(res.status, 401, `${what}: HTTP ${res.status} ${res.body}`);
    assert.match(res.wwwAuthenticate, /^Bearer /, what);
    assert.match(res.wwwAuthenticate, /error="invalid_token"/, `${what}: ${res.wwwAuthenticate}`);
    assert.ok(res.wwwAuthenticate.includes(`resource_metadata="${stack.base}/.well-known/oauth-protected-resource/mcp"`), `${what}: ${res.wwwAuthenticate}`);
    const body = JSON.parse(res.body) as { jsonrpc?: string; error?: { code?: unknown; message?: unknown } };
    assert.equal(body.jsonrpc, '2.0', `${what}: ${res.body}`);
    assert.equal(typeof body.error?.message, 'string', `${what}: ${res.body}`);
    assert.ok(!res.body.includes(token) && !res.wwwAuthenticate.includes(token), `${what}: the token is echoed`);
    // The server keeps serving: a good token right after is accepted.
    const ok = await post(await goodToken());
    assert.equal(ok.status, 200, `${what}: the next good request got ${ok.status} ${ok.body}`);
  };

  test('no token: 401 with resource_metadata and scope, no error code; the RFC 9728 document names the provider', async () => {
    const res = await post(null);
    assert.equal(res.status, 401, res.body);
    assert.match(res.wwwAuthenticate, /^Bearer /);
    assert.ok(res.wwwAuthenticate.includes(`resource_metadata="${stack.base}/.well-known/oauth-protected-resource/mcp"`), res.wwwAuthenticate);
    assert.match(res.wwwAuthenticate, /scope="[^"]*hostlens:read[^"]*"/);
    assert.doesNotMatch(res.wwwAuthenticate, /error=/);
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const meta = await fetch(`${stack.base}${path}`);
      assert.equal(meta.status, 200, path);
      const doc = (await meta.json()) as { resource?: string; authorization_servers?: string[]; scopes_supported?: string[]; bearer_methods_supported?: string[] };
      assert.equal(doc.resource, stack.url, path);
      assert.deepEqual(doc.authorization_servers, [stack.op.issuer], path);
      for (const s of HOSTLENS_SCOPES) assert.ok(doc.scopes_supported?.includes(s), `${path}: ${s}`);
    }
  });

  test('first use: 20 concurrent requests with good tokens are all accepted, after one discovery and one JWKS fetch', async () => {
    assert.equal(stack.op.requests.get('/jwks') ?? 0, 0, 'hostlens fetched the JWKS before any token arrived');
    const tokens = await Promise.all(Array.from({ length: 4 }, () => goodToken()));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(tokens[i % tokens.length]!)));
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(200), results.find((r) => r.status !== 200)?.body);
    assert.equal(stack.op.requests.get('/.well-known/openid-configuration'), 1);
    assert.equal(stack.op.requests.get('/jwks'), 1);
  });

  test('expired: a real 2-second token from the provider, once past exp + clock skew', async () => {
    const short = await stack.op.clientCredentials(SHORT.id, { resource: stack.url, scope: 'hostlens:read' });
    assert.equal(short.expires_in, 2);
    const fresh = await post(short.access_token);
    assert.equal(fresh.status, 200, `before expiry: ${fresh.body}`);
    const exp = jwtClaims(short.access_token).exp!;
    await delay(Math.max(0, (exp + CLOCK_SKEW_SEC + 1) * 1000 - Date.now()));
    await expectInvalidToken(short.access_token, 'expired provider token');
  });

  test('expired: forged with the provider key, exp 10 minutes ago', async () => {
    await expectInvalidToken(await stack.op.mint(claims({ iat: now() - 900, exp: now() - 600 })), 'expired forged token');
  });

  test('wrong audience: a real provider token for another resource; forged with aud of another resource', async () => {
    const other = await stack.op.clientCredentials(FULL.id, { resource: OTHER_RESOURCE, scope: 'hostlens:read' });
    assert.equal(jwtClaims(other.access_token).aud, OTHER_RESOURCE);
    await expectInvalidToken(other.access_token, 'token for another resource');
    await expectInvalidToken(await stack.op.mint(claims({ aud: 'http://127.0.0.1:1/mcp' })), 'forged wrong audience');
  });

  test('wrong issuer: a real token from a second provider; forged with the right key but another iss', async () => {
    const foreign = await rogue.clientCredentials(FULL.id, { resource: stack.url, scope: HOSTLENS_SCOPES.join(' ') });
    assert.equal(jwtClaims(foreign.access_token).aud, stack.url);
    await expectInvalidToken(foreign.access_token, 'token from another provider');
    await expectInvalidToken(await stack.op.mint(claims({ iss: rogue.issuer })), 'forged wrong issuer');
  });

  test('bad signature: re-signed with another key under the same kid; payload tampered after signing', async () => {
    const real = await goodToken();
    const { privateKey } = await generateKeyPair('RS256');
    await expectInvalidToken(await stack.op.mint(jwtClaims(real), { key: privateKey }), 're-signed with another key');
    const [h, , s] = real.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...jwtClaims(real), sub: 'admin' })).toString('base64url')}.${s}`;
    await expectInvalidToken(tampered, 'tampered payload');
  });

  test('alg none, and HS256 (not allow-listed), carrying a real token claims', async () => {
    const real = jwtClaims(await goodToken());
    await expectInvalidToken(unsignedJwt(real), 'alg none');
    const hs = await new SignJWT(real).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: stack.op.signingKey.kid }).sign(new TextEncoder().encode('s'.repeat(32)));
    await expectInvalidToken(hs, 'HS256');
    await expectInvalidToken('not-a-jwt', 'garbage');
  });

  test('algorithms: real provider tokens signed PS256, ES256, EdDSA are accepted; RS384 and ES384 (not allow-listed) are 401 invalid_token', async () => {
    const tokenFor = async (alg: string): Promise<string> => {
      const t = (await stack.op.clientCredentials(`alg-${alg}`, { resource: stack.url, scope: 'hostlens:read' })).access_token;
      assert.equal(decodeProtectedHeader(t).alg, alg);
      return t;
    };
    for (const alg of ALLOWED_ALGS) {
      const res = await post(await tokenFor(alg));
      assert.equal(res.status, 200, `${alg}: ${res.body}`);
    }
    for (const alg of REFUSED_ALGS) await expectInvalidToken(await tokenFor(alg), `${alg} token`);
  });

  test("an OpenID ID token (the provider's own signature, aud = the client) is not an access token: 401 invalid_token", async () => {
    const tokens = await authorizationCodeFlow(stack.op, { clientId: BROWSER.id, redirectUri: REDIRECT, scope: 'openid hostlens:read', resource: stack.url });
    assert.ok(tokens.id_token);
    assert.equal(jwtClaims(tokens.id_token).aud, BROWSER.id);
    await expectInvalidToken(tokens.id_token, 'ID token');
    // The access token of the same flow works.
    const ok = await post(tokens.access_token);
    assert.equal(ok.status, 200, ok.body);
  });

  test('no token ever appears in hostlens stderr', async () => {
    allTokens.push(await goodToken());
    assert.ok(allTokens.length >= 10, `${allTokens.length} tokens sent`);
    const err = stack.hostlens.stderr();
    assert.ok(err.length > 0, 'hostlens logged nothing at debug level');
    for (const t of new Set(allTokens)) {
      assert.ok(!err.includes(t), `a token appears in stderr: ${t.slice(0, 20)}…`);
      const signature = t.split('.')[2];
      if (signature && signature.length >= 16) assert.ok(!err.includes(signature), 'a token signature appears in stderr');
    }
  });
});

describe('issuer unreachable (nothing listens at its address)', { timeout: 30_000 }, () => {
  let hostlens: Spawned;
  let url: string;
  let issuer: string;
  let dir: string;

  before(async () => {
    const [port, deadPort] = await freePorts(2);
    url = `http://127.0.0.1:${port}/mcp`;
    issuer = `http://127.0.0.1:${deadPort}`;
    dir = mkdtempSync(join(tmpdir(), 'hostlens-oauth-dead-'));
    const config = join(dir, 'hostlens.json');
    writeFileSync(config, JSON.stringify({ host: '127.0.0.1', port, logLevel: 'debug', auth: { oauth: { issuer, resource: url } }, auditLog: { path: join(dir, 'audit.jsonl') } }));
    hostlens = spawnHostlens(['serve', '--config', config]);
    await hostlens.listening();
  });
  after(async () => {
    await hostlens?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a well-formed token is refused with 401 invalid_token (never a 5xx), twice in a row; a warning is logged without the token; the server keeps serving', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: issuer, aud: url, sub: 'x', scope: 'hostlens:read', iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })
      .sign(privateKey);
    for (let i = 0; i < 2; i++) {
      // The abort is a hang guard: a refused connection fails at once, and the refusal must not wait on it.
      const res = await fetch(url, { method: 'POST', headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${token}` }, body: INITIALIZE, signal: AbortSignal.timeout(20_000) });
      const body = await res.text();
      assert.equal(res.status, 401, `attempt ${i}: ${body}`);
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /error="invalid_token"/);
      // Refused because the issuer could not be asked, not for anything in the token.
      assert.match(challenge, /error_description="the token cannot be verified right now"/, `attempt ${i}: ${challenge}`);
      assert.equal((JSON.parse(body) as { jsonrpc?: string }).jsonrpc, '2.0');
    }
    const discovery = await hostlens.waitForLog((l) => l.level === 'warn' && l.msg === 'oauth: JWKS discovery failed', 20_000, 'the discovery failure');
    assert.equal(discovery.issuer, issuer, 'the failed discovery is the unreachable issuer');
    const warning = await hostlens.waitForLog((l) => l.level === 'warn' && /oauth/.test(String(l.msg)), 20_000, 'the oauth warning');
    assert.ok(!JSON.stringify(warning).includes(token.split('.')[2]!));
    assert.ok(!hostlens.stderr().includes(token.split('.')[2]!), 'the token signature appears in stderr');
    const health = await fetch(url.replace('/mcp', '/healthz'));
    assert.equal(health.status, 200);
    const meta = await fetch(url.replace('/mcp', '/.well-known/oauth-protected-resource/mcp'));
    assert.equal(meta.status, 200);
    assert.deepEqual(((await meta.json()) as { authorization_servers?: string[] }).authorization_servers, [issuer]);
  });
});
