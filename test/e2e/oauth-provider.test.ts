/**
 * The OpenID provider harness itself (test/support/oidc.ts), without
 * hostlens: a real oidc-provider on loopback issues RS256 `at+jwt` access
 * tokens that verify against its JWKS, carry the requested resource as `aud`
 * and only the hostlens scopes the client is allowed; an unknown resource is
 * refused; the headless login/consent driver completes an authorization
 * code + PKCE flow. If the provider cannot start, these tests fail (never skip).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify } from 'jose';
import { authorizationCodeFlow, HOSTLENS_SCOPES, startOidc } from '../support/oidc.js';
import type { OidcHandle } from '../support/oidc.js';
import { within } from './helpers.js';

const RESOURCE = 'http://127.0.0.1:1/mcp';
const OTHER = 'http://127.0.0.1:2/other';
const REDIRECT = 'http://127.0.0.1:3/callback';

describe('oidc-provider harness', { timeout: 30_000 }, () => {
  let op: OidcHandle;
  before(async () => {
    op = await within(10_000, 'oidc-provider start', startOidc({
      resources: [RESOURCE, OTHER],
      clients: [
        { id: 'reader', secret: 'reader-secret-0123456789', scopes: ['hostlens:read'] },
        { id: 'full', secret: 'full-secret-0123456789', scopes: HOSTLENS_SCOPES },
        { id: 'browser', redirectUri: REDIRECT, scopes: ['hostlens:read', 'hostlens:logs'] },
      ],
    }));
  });
  after(async () => {
    await op?.stop();
  });

  test('discovery names the token endpoint, the JWKS, PKCE S256 and client_credentials', async () => {
    const res = await fetch(`${op.issuer}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const meta = (await res.json()) as Record<string, unknown>;
    assert.equal(meta.issuer, op.issuer);
    assert.equal(meta.token_endpoint, op.tokenEndpoint);
    assert.equal(meta.jwks_uri, op.jwksUri);
    assert.ok((meta.grant_types_supported as string[]).includes('client_credentials'));
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  });

  test('client credentials: a JWT for the resource with the allowed subset of the requested scopes', async () => {
    const jwks = createRemoteJWKSet(new URL(op.jwksUri));
    const all = HOSTLENS_SCOPES.join(' ');
    const reader = await op.clientCredentials('reader', { resource: RESOURCE, scope: all });
    assert.equal(reader.token_type, 'Bearer');
    assert.equal(reader.scope, 'hostlens:read');
    const { payload, protectedHeader } = await jwtVerify(reader.access_token, jwks, { issuer: op.issuer, audience: RESOURCE, algorithms: ['RS256'] });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.kid, op.signingKey.kid);
    assert.equal(payload.scope, 'hostlens:read');
    assert.equal(payload.client_id, 'reader');
    assert.ok(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000);

    const full = await op.clientCredentials('full', { resource: RESOURCE, scope: all });
    assert.equal(full.scope, all);
    const other = await op.clientCredentials('full', { resource: OTHER, scope: 'hostlens:read' });
    assert.equal((await jwtVerify(other.access_token, jwks, { audience: OTHER })).payload.aud, OTHER);
    await assert.rejects(() => op.clientCredentials('full', { resource: 'http://127.0.0.1:9/unknown', scope: 'hostlens:read' }), /invalid_target/);
    // No resource parameter, no default resource: no JWT for anyone (so the SDK tests prove the SDK sends RFC 8707 `resource`).
    const bare = await op.clientCredentials('full', { scope: 'hostlens:read' });
    assert.notEqual(bare.access_token.split('.').length, 3, 'a JWT without a requested resource');
    assert.ok((op.requests.get('/token') ?? 0) >= 4);
  });

  test('mint signs with the provider key (verifies against its JWKS); a foreign key does not', async () => {
    const jwks = createRemoteJWKSet(new URL(op.jwksUri));
    const now = Math.floor(Date.now() / 1000);
    const token = await op.mint({ iss: op.issuer, aud: RESOURCE, sub: 'x', iat: now, exp: now + 60 });
    assert.equal(decodeProtectedHeader(token).kid, op.signingKey.kid);
    await jwtVerify(token, jwks, { issuer: op.issuer, audience: RESOURCE });
    const foreign = await op.mint({ iss: op.issuer, aud: RESOURCE, iat: now, exp: now + 60 }, { key: (await generateKeyPair('RS256')).privateKey });
    await assert.rejects(() => jwtVerify(foreign, jwks), /signature verification failed/);
  });

  test('authorization code + PKCE through the dev login/consent pages, headless (with openid: an ID token too)', async () => {
    const tokens = await authorizationCodeFlow(op, { clientId: 'browser', redirectUri: REDIRECT, scope: 'openid hostlens:read hostlens:logs hostlens:admin', resource: RESOURCE });
    const jwks = createRemoteJWKSet(new URL(op.jwksUri));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: op.issuer, audience: RESOURCE });
    assert.equal(payload.sub, 'agent-user');
    // Asked for admin too; this client may only have read + logs.
    assert.equal(payload.scope, 'hostlens:read hostlens:logs');
    assert.ok(tokens.id_token);
    const id = await jwtVerify(tokens.id_token, jwks, { issuer: op.issuer, audience: 'browser' });
    assert.equal(id.payload.sub, 'agent-user');
  });
});
