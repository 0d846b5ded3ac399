/**
 * OAuth 2.1 end to end with the SDK v2 client's own auth support, against a
 * real `hostlens serve` and a real OpenID provider (oidc-provider) on
 * loopback, in both protocol eras:
 *
 * - client credentials (`ClientCredentialsProvider`): the SDK gets a 401,
 *   follows `resource_metadata` to hostlens's RFC 9728 document, discovers
 *   the provider, asks /token for a token bound to hostlens's resource, and
 *   calls tools with it;
 * - scopes: a read-only client sees fewer tools than a full one; its call of
 *   search_logs gets 403 insufficient_scope naming hostlens:logs — surfaced as
 *   InsufficientScopeError with `onInsufficientScope: 'throw'`, and, by
 *   default, after the SDK's step-up re-authorization (which cannot obtain the
 *   scope) as an HTTP 403 error;
 * - authorization code + PKCE (a headless OAuthClientProvider driving the
 *   provider's login/consent pages), then `finishAuth` and a reconnect;
 * - a legacy session opened by one principal is 404 for another.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientCredentialsProvider, InsufficientScopeError, SdkHttpError, StreamableHTTPClientTransport, UnauthorizedError, Client } from '@modelcontextprotocol/client';
import { HOSTLENS_SCOPES, jwtClaims } from '../support/oidc.js';
import { INITIALIZE, MCP_POST_HEADERS, within } from './helpers.js';
import { challengeScope, connectWith, ERAS, HeadlessAuthCodeProvider, recordingFetch, startOauthStack } from './oauth-stack.js';
import type { OauthStack } from './oauth-stack.js';

const READER = { id: 'reader', secret: 'reader-secret-0123456789abcdef', scopes: ['hostlens:read'] } as const;
const FULL = { id: 'full', secret: 'full-secret-0123456789abcdef', scopes: HOSTLENS_SCOPES } as const;
const REDIRECT = 'http://127.0.0.1:47123/callback';
const BROWSER = { id: 'browser', redirectUri: REDIRECT, scopes: ['hostlens:read', 'hostlens:logs'] } as const;

describe('OAuth with the SDK client against a real OpenID provider', { timeout: 60_000 }, () => {
  let stack: OauthStack;
  before(async () => {
    stack = await startOauthStack({ clients: [READER, FULL, BROWSER], jwksUri: true });
  });
  after(async () => {
    await stack?.stop();
  });

  const credentials = (c: typeof READER | typeof FULL): ClientCredentialsProvider =>
    new ClientCredentialsProvider({ clientId: c.id, clientSecret: c.secret, expectedIssuer: stack.op.issuer });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      test('client credentials: 401 → RFC 9728 metadata → provider discovery → a token with the scope the challenge named → tools answer', async () => {
        const rec = recordingFetch();
        const tokenCallsBefore = stack.op.requests.get('/token') ?? 0;
        const provider = credentials(FULL);
        const client = await connectWith(stack.url, era.options, { authProvider: provider, fetch: rec.fetch });
        try {
          const trail = rec.seen.join('\n');
          assert.equal(rec.seen[0], `POST ${stack.url} → 401`, trail);
          assert.ok(rec.seen.includes(`GET ${stack.base}/.well-known/oauth-protected-resource/mcp → 200`), trail);
          assert.ok(rec.seen.some((s) => s.startsWith(`GET ${stack.op.issuer}/.well-known/`) && s.endsWith('→ 200')), trail);
          assert.ok(rec.seen.includes(`POST ${stack.op.tokenEndpoint} → 200`), trail);
          assert.equal((stack.op.requests.get('/token') ?? 0) - tokenCallsBefore, 1);
          // Least privilege: the SDK asks for what the 401 challenge named, not for all this client may have.
          const asked = challengeScope(rec.challenges[0]);
          assert.equal(asked, 'hostlens:read', rec.challenges[0]);
          const tokens = provider.tokens();
          assert.ok(tokens?.access_token);
          assert.equal(tokens.scope, asked);
          assert.equal(jwtClaims(tokens.access_token).aud, stack.url);

          const res = await within(15_000, 'get_system_info', client.callTool({ name: 'get_system_info', arguments: {} }));
          assert.notEqual(res.isError, true, JSON.stringify(res.content));
          assert.equal(typeof (res.structuredContent as { data?: { kernel?: unknown } }).data?.kernel, 'string', JSON.stringify(res.structuredContent));
          // Every MCP request after the first carried the token: no further 401.
          assert.equal(rec.seen.filter((s) => s.startsWith(`POST ${stack.url}`) && s.endsWith('→ 401')).length, 1, rec.seen.join('\n'));
        } finally {
          await client.close();
        }
      });

      test('step-up: a full client calling top_processes gets 403, the SDK re-asks for read+processes and the call succeeds; its tools/list then differs from a read-only client', async () => {
        const rec = recordingFetch();
        const provider = credentials(FULL);
        const full = await connectWith(stack.url, era.options, { authProvider: provider, fetch: rec.fetch });
        const reader = await connectWith(stack.url, era.options, { authProvider: credentials(READER) });
        try {
          // The modern-era client caches tools/list (cacheScope private, 60 s); a step-up does not invalidate it, so refresh.
          const names = async (c: Client): Promise<Set<string>> => new Set((await c.listTools(undefined, { cacheMode: 'refresh' })).tools.map((t) => t.name));
          const before = await names(full);
          assert.ok(!before.has('top_processes') && before.has('get_system_info'), [...before].join());
          const tokenPosts = (): number => rec.seen.filter((s) => s === `POST ${stack.op.tokenEndpoint} → 200`).length;
          const posts = tokenPosts();
          const res = await within(15_000, 'top_processes', full.callTool({ name: 'top_processes', arguments: {} }));
          assert.notEqual(res.isError, true, JSON.stringify(res.content));
          assert.ok(rec.seen.some((s) => s === `POST ${stack.url} → 403`), rec.seen.join('\n'));
          assert.ok(rec.challenges.some((c) => /error="insufficient_scope"/.test(c) && challengeScope(c) === 'hostlens:processes'), rec.challenges.join('\n'));
          assert.equal(tokenPosts() - posts, 1);
          assert.equal(provider.tokens()?.scope, 'hostlens:read hostlens:processes');

          const fullNames = await names(full);
          const readerNames = await names(reader);
          for (const n of ['top_processes', 'get_process']) {
            assert.ok(fullNames.has(n), `${n} not listed after the step-up`);
            assert.ok(!readerNames.has(n), `${n} listed for a read-only client`);
          }
          assert.ok(!fullNames.has('search_logs'), 'search_logs listed without hostlens:logs');
          assert.ok(readerNames.size < fullNames.size, `${readerNames.size} vs ${fullNames.size}`);
          for (const n of readerNames) assert.ok(fullNames.has(n), `${n} only for the reader`);
        } finally {
          await full.close();
          await reader.close();
        }
      });

      test("read-only client calling search_logs: InsufficientScopeError naming hostlens:logs (onInsufficientScope 'throw')", async () => {
        const reader = await connectWith(stack.url, era.options, { authProvider: credentials(READER), onInsufficientScope: 'throw' });
        try {
          await assert.rejects(
            () => within(10_000, 'search_logs', reader.callTool({ name: 'search_logs', arguments: {} })),
            (e: unknown) => {
              assert.ok(e instanceof InsufficientScopeError, String(e));
              assert.equal(e.requiredScope, 'hostlens:logs');
              assert.equal(e.resourceMetadataUrl?.href, `${stack.base}/.well-known/oauth-protected-resource/mcp`);
              return true;
            },
          );
          // The session/connection still works for what the token allows.
          const ok = await reader.callTool({ name: 'get_system_info', arguments: {} });
          assert.notEqual(ok.isError, true);
        } finally {
          await reader.close();
        }
      });

      test('read-only client calling search_logs, default step-up: the SDK re-asks the provider, still gets no hostlens:logs, ends with HTTP 403', async () => {
        const rec = recordingFetch();
        const provider = credentials(READER);
        const reader = await connectWith(stack.url, era.options, { authProvider: provider, fetch: rec.fetch, maxStepUpRetries: 1 });
        try {
          const tokenCalls = (): number => rec.seen.filter((s) => s.startsWith(`POST ${stack.op.tokenEndpoint}`)).length;
          const before = tokenCalls();
          await assert.rejects(
            () => within(15_000, 'search_logs', reader.callTool({ name: 'search_logs', arguments: {} })),
            (e: unknown) => {
              assert.ok(e instanceof SdkHttpError, String(e));
              assert.equal(e.status, 403);
              assert.match(e.message, /insufficient_scope/);
              return true;
            },
          );
          assert.equal(tokenCalls() - before, 1, rec.seen.join('\n'));
          assert.equal(provider.tokens()?.scope, 'hostlens:read');
          assert.equal(rec.seen.filter((s) => s.startsWith(`POST ${stack.url}`) && s.endsWith('→ 403')).length, 2, rec.seen.join('\n'));
        } finally {
          await reader.close();
        }
      });

      test('authorization code + PKCE: UnauthorizedError, headless login/consent, finishAuth, reconnect; an interactive step-up for hostlens:logs', async () => {
        const provider = new HeadlessAuthCodeProvider(BROWSER.id, REDIRECT);
        const first = new StreamableHTTPClientTransport(new URL(stack.url), { authProvider: provider });
        const client = new Client({ name: 'e2e-oauth-code', version: '1.0.0' }, era.options);
        await assert.rejects(() => within(15_000, 'first connect', client.connect(first)), (e: unknown) => e instanceof UnauthorizedError);
        assert.equal(provider.redirects, 1);
        const asked = provider.authorizationUrl?.searchParams;
        assert.equal(asked?.get('code_challenge_method'), 'S256');
        assert.match(asked?.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
        assert.equal(asked?.get('resource'), stack.url);
        assert.equal(asked?.get('scope'), 'hostlens:read');
        const callback = provider.callback;
        assert.ok(callback, 'the provider never redirected back');
        assert.ok(callback.searchParams.get('code'), callback.href);
        assert.equal(callback.searchParams.get('iss'), stack.op.issuer);
        await within(10_000, 'finishAuth', first.finishAuth(callback.searchParams));
        const tokens = provider.tokens();
        assert.ok(tokens?.access_token);
        assert.equal(tokens.scope, 'hostlens:read');
        const claims = jwtClaims(tokens.access_token);
        assert.equal(claims.sub, 'agent-user');
        assert.equal(claims.aud, stack.url);

        const transport = new StreamableHTTPClientTransport(new URL(stack.url), { authProvider: provider });
        const again = new Client({ name: 'e2e-oauth-code', version: '1.0.0' }, era.options);
        await within(15_000, 'reconnect', again.connect(transport));
        try {
          const res = await within(15_000, 'get_system_info', again.callTool({ name: 'get_system_info', arguments: {} }));
          assert.notEqual(res.isError, true);
          assert.equal(provider.redirects, 1, 'no second trip to the authorization endpoint');
          // search_logs needs hostlens:logs: the SDK sends the user back to the provider (interactive step-up).
          await assert.rejects(
            () => within(15_000, 'search_logs before consent', again.callTool({ name: 'search_logs', arguments: {} })),
            (e: unknown) => e instanceof UnauthorizedError,
          );
          assert.equal(provider.redirects, 2);
          assert.ok(provider.callback && provider.callback !== callback);
          await within(10_000, 'finishAuth (step-up)', transport.finishAuth(provider.callback.searchParams));
          assert.equal(provider.tokens()?.scope, 'hostlens:read hostlens:logs');
          const logs = await within(20_000, 'search_logs after consent', again.callTool({ name: 'search_logs', arguments: { limit: 1 } }));
          assert.notEqual(logs.isError, true, JSON.stringify(logs.content).slice(0, 300));
          assert.equal(typeof logs.structuredContent, 'object');
          const names = new Set((await again.listTools()).tools.map((t) => t.name));
          assert.ok(names.has('search_logs') && !names.has('top_processes'), [...names].join());
        } finally {
          await again.close();
        }
      });
    });
  }

  test('tokens are never forwarded: hostlens fetched discovery/JWKS from the provider without any Authorization header; only /token saw client credentials (Basic)', () => {
    const log = stack.op.requestLog;
    assert.ok(log.some((r) => r.path === '/jwks'), log.map((r) => r.path).join());
    for (const r of log) {
      // /token: Basic for the confidential clients, nothing for the public PKCE client.
      if (r.path === '/token') assert.ok(r.authorization === undefined || r.authorization.startsWith('Basic '), `${r.method} ${r.path}`);
      else if (!r.path.startsWith('/auth') && !r.path.startsWith('/interaction')) assert.equal(r.authorization, undefined, `${r.method} ${r.path} carried ${String(r.authorization).slice(0, 12)}…`);
      assert.doesNotMatch(String(r.authorization), /^Bearer/i, `${r.method} ${r.path}`);
    }
  });

  test('a legacy session opened with one principal is 404 for another principal (POST, GET, DELETE), and still works for its own until it ends it', async () => {
    const reader = await stack.op.clientCredentials(READER.id, { resource: stack.url, scope: 'hostlens:read' });
    const full = await stack.op.clientCredentials(FULL.id, { resource: stack.url, scope: HOSTLENS_SCOPES.join(' ') });
    const post = (token: string, body: string, session?: string): Promise<Response> =>
      fetch(stack.url, {
        method: 'POST',
        headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${token}`, ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } : {}) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    const init = await post(reader.access_token, INITIALIZE);
    assert.equal(init.status, 200, await init.clone().text());
    await init.text();
    const session = init.headers.get('mcp-session-id');
    assert.ok(session);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
    const stolen = await post(full.access_token, ping, session);
    const stolenBody = await stolen.text();
    assert.equal(stolen.status, 404, stolenBody);
    assert.doesNotMatch(stolenBody, /reader/);
    // Nor can the other principal listen on it or end it.
    const sessionHeaders = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    const listen = await fetch(stack.url, { headers: { ...sessionHeaders(full.access_token), accept: 'text/event-stream' }, signal: AbortSignal.timeout(10_000) });
    assert.equal(listen.status, 404, await listen.text());
    const end = await fetch(stack.url, { method: 'DELETE', headers: sessionHeaders(full.access_token), signal: AbortSignal.timeout(10_000) });
    assert.equal(end.status, 404, await end.text());
    const own = await post(reader.access_token, ping, session);
    assert.equal(own.status, 200, await own.text());
    // Its owner can end it; then it is gone for everyone.
    const ended = await fetch(stack.url, { method: 'DELETE', headers: sessionHeaders(reader.access_token), signal: AbortSignal.timeout(10_000) });
    assert.ok(ended.status === 200 || ended.status === 204, `DELETE by the owner: ${ended.status} ${await ended.text()}`);
    const gone = await post(reader.access_token, ping, session);
    assert.equal(gone.status, 404, await gone.text());
  });
});
