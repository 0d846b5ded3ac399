/**
 * Admin surfaces, the audit trail and token expiry with real tokens from a
 * real OpenID provider (oidc-provider on loopback) against a real
 * `hostlens serve`:
 *
 * - GET /metrics: 401 without a token, 403 insufficient_scope (hostlens:admin)
 *   with a read-only token, Prometheus text with an admin token;
 * - diag://admin/audit: a read-only SDK client neither lists nor reads it
 *   (InsufficientScopeError naming hostlens:admin); an admin client steps up
 *   to hostlens:admin and reads entries naming this run's OAuth principals;
 * - the audit file on disk names principals and never holds a token;
 * - a token that expires mid-session: the SDK's client-credentials provider
 *   gets a new one on the 401 and the same legacy session goes on;
 * - with no `resource` configured, hostlens's resource is the request's own
 *   origin + /mcp: each loopback name is a separate audience.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClientCredentialsProvider, InsufficientScopeError, StreamableHTTPClientTransport, Client } from '@modelcontextprotocol/client';
import { jwtClaims } from '../support/oidc.js';
import { delay, INITIALIZE, MCP_POST_HEADERS, within } from './helpers.js';
import { challengeScope, connectWith, ERAS, recordingFetch, startOauthStack } from './oauth-stack.js';
import type { OauthStack } from './oauth-stack.js';

const READER = { id: 'reader', secret: 'reader-secret-0123456789abcdef', scopes: ['hostlens:read'] } as const;
const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789abcdef', scopes: ['hostlens:read', 'hostlens:admin'] } as const;
const SHORT = { id: 'short', secret: 'short-secret-0123456789abcdef', scopes: ['hostlens:read'], accessTokenTtlSec: 2 } as const;
type Creds = typeof READER | typeof ADMIN | typeof SHORT;
const AUDIT = 'diag://admin/audit';

describe('admin surfaces, audit and token expiry with real OAuth tokens', { timeout: 60_000 }, () => {
  let stack: OauthStack;
  const tokens = new Set<string>();
  const providers: ClientCredentialsProvider[] = [];

  before(async () => {
    // No `resource` in the config here: hostlens's default (its own /mcp URL) must be what the SDK asks tokens for.
    stack = await startOauthStack({ clients: [READER, ADMIN, SHORT], clockSkewSec: 0, defaultResource: true });
  });
  after(async () => {
    await stack?.stop();
  });

  const credentials = (c: Creds): ClientCredentialsProvider => {
    const p = new ClientCredentialsProvider({ clientId: c.id, clientSecret: c.secret, expectedIssuer: stack.op.issuer });
    providers.push(p);
    return p;
  };
  const rawToken = async (c: Creds, scope: string): Promise<string> => {
    const t = (await stack.op.clientCredentials(c.id, { resource: stack.url, scope })).access_token;
    tokens.add(t);
    return t;
  };
  const principal = (c: Creds): string => `oauth:${stack.op.issuer}#${c.id}`;

  test('GET /metrics: 401 without a token, 403 insufficient_scope hostlens:admin for a read-only token, Prometheus text for an admin token', async () => {
    const none = await fetch(`${stack.base}/metrics`);
    assert.equal(none.status, 401, await none.text());
    assert.ok(none.headers.get('www-authenticate')?.includes(`resource_metadata="${stack.base}/.well-known/oauth-protected-resource/mcp"`), String(none.headers.get('www-authenticate')));

    const reader = await fetch(`${stack.base}/metrics`, { headers: { authorization: `Bearer ${await rawToken(READER, 'hostlens:read')}` } });
    const readerBody = await reader.text();
    assert.equal(reader.status, 403, readerBody);
    const challenge = reader.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.equal(challengeScope(challenge), 'hostlens:admin');
    assert.doesNotMatch(readerBody, /^# HELP/m);

    const admin = await fetch(`${stack.base}/metrics`, { headers: { authorization: `Bearer ${await rawToken(ADMIN, 'hostlens:read hostlens:admin')}` } });
    const text = await admin.text();
    assert.equal(admin.status, 200, text);
    assert.match(String(admin.headers.get('content-type')), /^text\/plain/);
    assert.match(text, /^# (HELP|TYPE) \S+/m);
    for (const t of tokens) assert.ok(!text.includes(t), 'a token appears in /metrics');
  });

  for (const era of ERAS) {
    test(`${era.name} era: a read-only client neither lists nor reads ${AUDIT}; an admin client steps up to hostlens:admin and reads entries naming this run's principals`, async () => {
      const started = Date.now();
      const reader = await connectWith(stack.url, era.options, { authProvider: credentials(READER), onInsufficientScope: 'throw' });
      const adminProvider = credentials(ADMIN);
      const admin = await connectWith(stack.url, era.options, { authProvider: adminProvider });
      try {
        await reader.callTool({ name: 'get_system_info', arguments: {} });
        const readerUris = (await reader.listResources()).resources.map((r) => r.uri);
        assert.ok(readerUris.length > 0 && !readerUris.includes(AUDIT), readerUris.join());
        await assert.rejects(
          () => within(10_000, 'reader reads the audit', reader.readResource({ uri: AUDIT })),
          (e: unknown) => {
            assert.ok(e instanceof InsufficientScopeError, String(e));
            assert.equal(e.requiredScope, 'hostlens:admin');
            return true;
          },
        );

        assert.equal(adminProvider.tokens()?.scope, 'hostlens:read');
        type Entry = { ts: string; principal: string; era: string | null; tool?: string; resource?: string; outcome: string };
        const readAudit = async (): Promise<{ enabled: boolean; entries: Entry[] }> => {
          const res = await within(15_000, 'admin reads the audit', admin.readResource({ uri: `${AUDIT}?limit=200` }));
          const first = res.contents[0];
          assert.ok(first && 'text' in first, JSON.stringify(res.contents).slice(0, 200));
          return JSON.parse(first.text) as { enabled: boolean; entries: Entry[] };
        };
        // This test's own entries (the audit is written through a queue: poll briefly for the newest).
        const mine = (doc: { entries: Entry[] }): Entry[] => doc.entries.filter((e) => Date.parse(e.ts) >= started - 1000);
        const complete = (entries: Entry[]): boolean =>
          entries.some((e) => e.principal === principal(READER) && e.tool === 'get_system_info' && e.outcome === 'ok' && e.era === era.name) &&
          entries.some((e) => e.principal === principal(READER) && e.outcome === 'http_403');
        let doc = await readAudit();
        assert.equal(adminProvider.tokens()?.scope, 'hostlens:read hostlens:admin');
        for (let i = 0; i < 20 && !complete(mine(doc)); i++) {
          await delay(100);
          doc = await readAudit();
        }
        assert.equal(doc.enabled, true);
        const entries = mine(doc);
        assert.ok(complete(entries), JSON.stringify(entries.slice(0, 8)));
        const seen = new Set(entries.map((e) => e.principal));
        assert.ok(seen.has(principal(ADMIN)), [...seen].join());
        const adminUris = (await admin.listResources(undefined, { cacheMode: 'refresh' })).resources.map((r) => r.uri);
        assert.ok(adminUris.includes(AUDIT), adminUris.join());
      } finally {
        await reader.close();
        await admin.close();
      }
    });
  }

  for (const era of ERAS) {
    test(`${era.name} era: a 2-second token expires mid-connection; the SDK gets a new one on the 401 and goes on${era.name === 'legacy' ? ' in the same session' : ''}`, async () => {
      const provider = credentials(SHORT);
      const rec = recordingFetch();
      const transport = new StreamableHTTPClientTransport(new URL(stack.url), { authProvider: provider, fetch: rec.fetch });
      const client = new Client({ name: 'e2e-oauth-expiry', version: '1.0.0' }, era.options);
      await within(15_000, 'connect', client.connect(transport));
      try {
        const session = transport.sessionId;
        assert.equal(session === undefined, era.name === 'modern', `session id ${session}`);
        assert.notEqual((await client.callTool({ name: 'get_system_info', arguments: {} })).isError, true);
        // The token in use now (on a slow machine the SDK may already have renewed the first one).
        const firstToken = provider.tokens()?.access_token;
        assert.ok(firstToken);
        const tokenCalls = stack.op.requests.get('/token') ?? 0;
        const seenBefore = rec.seen.length;
        await delay(Math.max(0, (jwtClaims(firstToken).exp! + 1) * 1000 - Date.now()));
        const again = await within(15_000, 'call after expiry', client.callTool({ name: 'get_system_info', arguments: {} }));
        assert.notEqual(again.isError, true);
        const afterExpiry = rec.seen.slice(seenBefore);
        assert.equal(afterExpiry[0], `POST ${stack.url} → 401`, afterExpiry.join('\n'));
        assert.ok(rec.challenges.some((c) => /error="invalid_token"/.test(c)), rec.challenges.join('\n'));
        assert.equal(afterExpiry.at(-1), `POST ${stack.url} → 200`, afterExpiry.join('\n'));
        const secondToken = provider.tokens()?.access_token;
        assert.ok(secondToken && secondToken !== firstToken, 'the SDK did not fetch a new token');
        assert.equal((stack.op.requests.get('/token') ?? 0) - tokenCalls, 1);
        assert.equal(transport.sessionId, session, 'the session changed');
      } finally {
        await client.close();
      }
    });
  }

  test('with no configured resource, each loopback name is its own audience: via localhost the SDK gets a token for http://localhost:<port>/mcp, which 127.0.0.1 refuses', async () => {
    const viaLocalhost = stack.url.replace('127.0.0.1', 'localhost');
    const provider = credentials(READER);
    const client = await connectWith(viaLocalhost, {}, { authProvider: provider });
    try {
      assert.notEqual((await client.callTool({ name: 'get_system_info', arguments: {} })).isError, true);
      const token = provider.tokens()?.access_token;
      assert.ok(token);
      assert.equal(jwtClaims(token).aud, viaLocalhost);
      const meta = (await (await fetch(`${viaLocalhost.replace('/mcp', '')}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource?: string };
      assert.equal(meta.resource, viaLocalhost);
      const elsewhere = await fetch(stack.url, {
        method: 'POST',
        headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${token}` },
        body: INITIALIZE,
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(elsewhere.status, 401, await elsewhere.text());
      assert.match(elsewhere.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    } finally {
      await client.close();
    }
  });

  test('the audit file names principals and holds no token; neither does hostlens stderr', async () => {
    for (const p of providers) {
      const t = p.tokens()?.access_token;
      if (t) tokens.add(t);
    }
    assert.ok(tokens.size >= 6, `${tokens.size} tokens`);
    const audit = readFileSync(stack.auditPath, 'utf8');
    const lines = audit.trim().split('\n').map((l) => JSON.parse(l) as { principal: string });
    assert.ok(lines.length >= 10, `${lines.length} audit lines`);
    for (const c of [READER, ADMIN, SHORT]) assert.ok(lines.some((l) => l.principal === principal(c)), `${c.id} not audited`);
    const stderr = stack.hostlens.stderr();
    for (const t of tokens) {
      const signature = t.split('.')[2] ?? t;
      assert.ok(!audit.includes(signature), 'a token signature appears in the audit file');
      assert.ok(!stderr.includes(signature), 'a token signature appears in stderr');
    }
  });
});
