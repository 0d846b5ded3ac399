/**
 * hostlens as an OAuth 2.1 resource server, against JWTs minted here with
 * jose and a JWKS served from a loopback node:http server: every bad-token
 * shape is 401 invalid_token (or 400 invalid_request) with the RFC 9728
 * challenge and a JSON-RPC body, good tokens see exactly their scopes, the
 * SDK's AuthInfo never holds the token, and the request log never does.
 * Each case runs in process (app.fetch) and over real HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { productCatalogue } from '../../src/catalogue/index.js';
import type { Toolset } from '../../src/contracts/scopes.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp, McpFactory } from '../../src/http/app.js';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { scopeIndex } from '../../src/catalogue/scope-index.js';
import { SCOPES } from '../../src/contracts/scopes.js';
import type { Scope } from '../../src/contracts/scopes.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { buildServer } from '../../src/server/build.js';
import { createLogger } from '../../src/util/log.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { startIssuer, unsignedToken } from '../support/jwks.js';
import type { TestIssuer } from '../support/jwks.js';
import { ACCEPT, delay, MODERN, modernMeta } from './helpers.js';
import type { JsonRpcMessage } from './helpers.js';

const TOOLSETS: Toolset[] = ['core', 'network', 'logs', 'config', 'containers'];
const SKEW = 30;
const now = (): number => Math.floor(Date.now() / 1000);

describe('OAuth resource server (jose JWKS on loopback)', () => {
  let issuer: TestIssuer;
  let app: HttpApp;
  let url: string;
  let base: string;
  const lines: string[] = [];
  const seenAuth: Array<AuthInfo | undefined> = [];

  before(async () => {
    issuer = await startIssuer();
    const services = servicesAt(`${FIXTURE_HOSTS}idle`);
    const product = createProductFactory({ services, toolsets: TOOLSETS });
    // The product server plus a probe of what the SDK hands handlers as ctx.http.authInfo.
    const factory: McpFactory = (ctx) => {
      const server: McpServer = product(ctx);
      server.server.setRequestHandler('prompts/list', (_r, c) => {
        seenAuth.push(c.http?.authInfo);
        return { prompts: [] };
      });
      return server;
    };
    app = createHttpApp({
      factory,
      port: 0,
      authenticator: createAuthenticator({
        oauth: { issuer: issuer.issuer, algorithms: ['RS256', 'ES256'], clockSkewSec: SKEW },
        logger: createLogger({ level: 'debug', write: (l) => void lines.push(l) }),
      }),
      scopeIndex: scopeIndex(productCatalogue, TOOLSETS),
      shutdownGraceMs: 500,
      logger: createLogger({ level: 'debug', write: (l) => void lines.push(l) }),
    });
    ({ url } = await app.listen());
    base = new URL(url).origin;
  });
  after(async () => {
    await app.close();
    await issuer.close();
  });

  const claims = (extra: Record<string, unknown> = {}) => ({ iss: issuer.issuer, aud: url, sub: 'agent-7', scope: 'hostlens:read', exp: now() + 300, iat: now(), ...extra });
  const body = (method: string, params: Record<string, unknown> = {}, id: string | number = 1) =>
    JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta() } });
  const headers = (token: string | null, method: string): Record<string, string> => ({
    host: new URL(base).host,
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
  });
  /** The same request in process and over the wire; both answers must agree on status and challenge. */
  const both = async (token: string | null, method = 'tools/list', params: Record<string, unknown> = {}, path = '/mcp'): Promise<Response> => {
    const init = { method: 'POST', headers: headers(token, method), body: body(method, params) };
    const inProcess = await app.fetch(new Request(`${base}${path}`, init));
    const wire = await fetch(`${base}${path}`, init);
    assert.equal(inProcess.status, wire.status, 'in-process and wire statuses agree');
    assert.equal(inProcess.headers.get('www-authenticate'), wire.headers.get('www-authenticate'));
    assert.deepEqual(await inProcess.json().catch(() => null), await wire.clone().json().catch(() => null));
    return wire;
  };
  const metadataUrl = () => `${base}/.well-known/oauth-protected-resource/mcp`;
  const expectInvalid = async (token: string, description: RegExp): Promise<void> => {
    const res = await both(token);
    assert.equal(res.status, 401, `${description}: ${res.status}`);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer error="invalid_token", error_description="[^"]+", /);
    assert.match(challenge, description);
    assert.ok(challenge.includes(`resource_metadata="${metadataUrl()}"`), challenge);
    assert.ok(challenge.includes('scope="hostlens:read"'), challenge);
    assert.ok(!challenge.includes(token.slice(-20)), 'the challenge never echoes the token');
    const json = (await res.json()) as JsonRpcMessage;
    assert.equal(json.jsonrpc, '2.0');
    assert.equal(json.error?.code, -32000);
    assert.ok(!JSON.stringify(json).includes(token.slice(-20)));
    // And the server keeps serving good tokens.
    assert.equal((await both(await issuer.sign(claims()))).status, 200);
  };
  const listed = async (token: string): Promise<string[]> => {
    const res = await both(token);
    assert.equal(res.status, 200);
    const text = await res.text();
    const message = JSON.parse(text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? 'null')) as JsonRpcMessage;
    return ((message.result?.tools ?? []) as Array<{ name: string }>).map((t) => t.name);
  };

  test('no token → 401 with resource_metadata and scope, no error code; the metadata document is served without auth', async () => {
    const res = await both(null);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${metadataUrl()}", scope="hostlens:read"`);
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const meta = await fetch(`${base}${path}`);
      assert.equal(meta.status, 200, path);
      assert.match(meta.headers.get('cache-control') ?? '', /max-age=\d+/);
      assert.deepEqual(await meta.json(), {
        resource: url,
        authorization_servers: [issuer.issuer],
        scopes_supported: [...SCOPES],
        bearer_methods_supported: ['header'],
        resource_name: 'hostlens',
      });
      const post = await fetch(`${base}${path}`, { method: 'POST', body: '{}' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      await post.body?.cancel();
    }
    const evil = await fetch(`${base}/.well-known/oauth-protected-resource`, { headers: { origin: 'http://evil.example' } });
    assert.equal(evil.status, 403, 'still behind the Origin guard');
    await evil.body?.cancel();
  });

  test('valid RS256 and ES256 tokens → 200; each scope combination sees exactly its tools', async () => {
    assert.ok((await listed(await issuer.sign(claims(), { alg: 'ES256' }))).includes('get_cpu'));
    const special: Record<string, Scope> = {
      top_processes: 'hostlens:processes',
      get_process: 'hostlens:processes',
      list_sockets: 'hostlens:processes',
      get_container_logs: 'hostlens:logs',
      search_logs: 'hostlens:logs',
      read_log_file: 'hostlens:logs',
      get_service: 'hostlens:logs',
      get_kernel_events: 'hostlens:logs',
      get_config: 'hostlens:config',
      get_sysctl: 'hostlens:config',
    };
    const all = await listed(await issuer.sign(claims({ scope: SCOPES.join(' ') })));
    for (const name of Object.keys(special)) assert.ok(all.includes(name), name);
    const pool: Scope[] = ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config'];
    for (let mask = 0; mask < 16; mask += 1) {
      const held = pool.filter((_, i) => mask & (1 << i));
      // scp (array) on odd masks, scope (string) on even ones: both claim forms count.
      const token = await issuer.sign(claims(mask % 2 ? { scope: undefined, scp: held } : { scope: held.join(' ') }));
      const names = await listed(token);
      const expected = all.filter((name) => held.includes(special[name] ?? 'hostlens:read'));
      assert.deepEqual(names.sort(), expected.sort(), `scopes ${held.join(' ') || '(none)'}`);
    }
  });

  test('expired beyond the skew → 401; expired within the skew → 200; nbf in the future → 401', async () => {
    await expectInvalid(await issuer.sign(claims({ exp: now() - SKEW - 60 })), /expired/);
    assert.equal((await both(await issuer.sign(claims({ exp: now() - 5 })))).status, 200);
    await expectInvalid(await issuer.sign(claims({ nbf: now() + SKEW + 120 })), /not valid yet/);
  });

  test('wrong audience, wrong issuer, missing exp, no subject → 401; an aud array holding this resource → 200', async () => {
    await expectInvalid(await issuer.sign(claims({ aud: 'http://127.0.0.1:9/other-api' })), /not issued for this resource/);
    await expectInvalid(await issuer.sign(claims({ aud: undefined })), /not issued for this resource/);
    assert.equal((await both(await issuer.sign(claims({ aud: ['http://127.0.0.1:9/other-api', url] })))).status, 200);
    // The same resource spelled with an upper-case scheme and host, or a trailing slash, is this resource; a longer path is not.
    assert.equal((await both(await issuer.sign(claims({ aud: url.replace('http://127.0.0.1', 'HTTP://127.0.0.1') })))).status, 200);
    assert.equal((await both(await issuer.sign(claims({ aud: `${url}/` })))).status, 200);
    await expectInvalid(await issuer.sign(claims({ aud: `${url}/extra` })), /not issued for this resource/);
    await expectInvalid(await issuer.sign(claims({ aud: `${url}#frag`.replace('/mcp', '/mcpx') })), /not issued for this resource/);
    await expectInvalid(await issuer.sign(claims({ iss: 'http://127.0.0.1:9/rogue' })), /another issuer/);
    await expectInvalid(await issuer.sign(claims({ exp: undefined })), /expiry/);
    await expectInvalid(await issuer.sign(claims({ sub: undefined })), /no subject/);
    // A client-credentials token may name the client only; control characters never reach the principal id.
    seenAuth.length = 0;
    const clientOnly = await issuer.sign(claims({ sub: undefined, client_id: 'svc\n-1' }));
    assert.equal((await both(clientOnly, 'prompts/list')).status, 200);
    assert.equal(seenAuth[0]?.clientId, `oauth:${issuer.issuer}#svc?-1`);
  });

  test('bad signature (a key the issuer never published, same kid), unknown kid, alg none, HS256 keyed with the public key, garbage → 401', async () => {
    await expectInvalid(await issuer.sign(claims(), { key: issuer.strangerKey }), /signature/);
    await expectInvalid(await issuer.sign(claims(), { key: issuer.strangerKey, kid: 'nobody' }), /no key/);
    // jose refuses an unsecured JWT before or at the algorithm check, depending on the signature part.
    await expectInvalid(unsignedToken(claims()), /algorithm|malformed/);
    await expectInvalid(`${unsignedToken(claims())}c2ln`, /algorithm|malformed|signature/);
    await expectInvalid(await issuer.sign(claims(), { alg: 'HS256', key: new TextEncoder().encode(issuer.publicPem) }), /algorithm/);
    await expectInvalid('not.a.jwt', /malformed/);
    await expectInvalid('opaque-token-that-is-no-jwt', /malformed/);
  });

  test('a token in the query string → 400 invalid_request even with a good header; two Authorization headers → 400', async () => {
    const good = await issuer.sign(claims());
    const res = await both(good, 'tools/list', {}, `/mcp?access_token=${good}`);
    assert.equal(res.status, 400);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_request"/);
    const twice = await app.fetch(new Request(url, { method: 'POST', headers: [...Object.entries(headers(good, 'tools/list')), ['authorization', `Bearer ${good}`]], body: body('tools/list') }));
    assert.equal(twice.status, 400);
    // Over the wire node would keep only the first header: the app joins them and refuses too.
    const raw = await rawHttp(new URL(url).port, [
      'POST /mcp HTTP/1.1',
      ...Object.entries(headers(good, 'tools/list')).map(([k, v]) => `${k}: ${v}`),
      `authorization: Bearer ${good}`,
      `content-length: ${Buffer.byteLength(body('tools/list'))}`,
      'connection: close',
      '',
      body('tools/list'),
    ].join('\r\n'));
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /error="invalid_request"/);
  });

  test('a call beyond the token scopes → 403 insufficient_scope naming it; the SDK sees a digest, never the token', async () => {
    const token = await issuer.sign(claims({ sub: 'agent-42' }));
    const res = await both(token, 'tools/call', { name: 'top_processes', arguments: {} });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope", scope="hostlens:processes", resource_metadata="/);
    seenAuth.length = 0;
    assert.equal((await both(token, 'prompts/list')).status, 200);
    const info = seenAuth[0];
    assert.ok(info, 'the handler saw AuthInfo');
    assert.equal(info.clientId, `oauth:${issuer.issuer}#agent-42`);
    assert.deepEqual(info.scopes, ['hostlens:read']);
    assert.match(info.token, /^[0-9a-f]{16}$/);
    assert.ok(!token.includes(info.token));
    assert.equal(info.resource?.href, url);
    assert.ok(Math.abs((info.expiresAt ?? 0) - (now() + 300)) <= 5);
  });

  // The server runs in this process, so "not before the expiry" is an order of timers: a reference timer due half a
  // second before the token's exp, set before the stream is opened, has fired by the time the stream ends. The
  // fetch's own timeout is a hang guard only.
  test('a legacy GET stream opened with a token ends when the token expires', async (t) => {
    const exp = now() + 2;
    const token = await issuer.sign(claims({ exp }));
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': '2025-11-25' };
    const init = await fetch(url, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    const sid = init.headers.get('mcp-session-id');
    assert.ok(sid);
    await init.text();
    const started = Date.now();
    let referenceDue = false;
    const reference = setTimeout(() => (referenceDue = true), Math.max(0, exp * 1000 - 500 - Date.now()));
    const stream = await fetch(url, { headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': sid }, signal: AbortSignal.timeout(30_000) });
    assert.equal(stream.status, 200);
    await stream.text();
    clearTimeout(reference);
    t.diagnostic(`the stream lasted ${Date.now() - started} ms`);
    assert.equal(referenceDue, true, 'the stream ended before the token expired');
  });

  test('the log holds principals but never a token', async () => {
    const token = await issuer.sign(claims({ sub: 'log-check' }));
    await both(token);
    const text = lines.join('');
    assert.ok(!text.includes(token.split('.')[2] ?? token) && !text.includes(token.split('.')[1] ?? token), 'a token reached the log');
    assert.ok(text.includes(`"principal":"oauth:${issuer.issuer}#log-check"`));
  });
});

describe('OAuth: JWKS discovery, an unreachable issuer, required scopes', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await startIssuer();
  });
  after(async () => {
    await issuer.close();
  });
  const appWith = (oauth: Record<string, unknown>, lines: string[]) =>
    createHttpApp({
      factory: () => buildServer({ catalogue: { tools: [], resources: [], prompts: [] }, services: servicesAt(`${FIXTURE_HOSTS}idle`), toolsets: ['core'], name: 't', version: '1' }),
      authenticator: createAuthenticator({
        oauth: { issuer: issuer.issuer, algorithms: ['RS256'], clockSkewSec: 30, cooldownMs: 50, fetchTimeoutMs: 1_000, ...oauth },
        logger: createLogger({ level: 'debug', write: (l) => void lines.push(l) }),
      }),
    });
  /** The answer with its body read (an unread body would count as a call in flight at close). */
  const ping = async (app: HttpApp, token: string): Promise<Response> => {
    const res = await app.fetch(
      new Request('http://127.0.0.1:1/mcp', {
        method: 'POST',
        headers: { host: '127.0.0.1:1', 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: modernMeta() } }),
      }),
    );
    await res.clone().text();
    return res;
  };
  const claims = () => ({ iss: issuer.issuer, aud: 'http://127.0.0.1:1/mcp', sub: 's', scope: 'hostlens:read', exp: now() + 60 });

  test('without jwksUri the JWKS is found through the issuer metadata, once', async () => {
    const app = appWith({}, []);
    const before = issuer.fetches.discovery;
    const token = await issuer.sign(claims());
    for (let i = 0; i < 3; i += 1) assert.equal((await ping(app, token)).status, 200);
    assert.equal(issuer.fetches.discovery - before, 1);
    await app.close();
  });

  test('an issuer that is down → 401 invalid_token with a generic description and a warning without the token, never 500; it recovers', async () => {
    const lines: string[] = [];
    const app = appWith({ jwksUri: issuer.jwksUri }, lines);
    const token = await issuer.sign(claims());
    issuer.setDown(true);
    const res = await ping(app, token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error_description="the token cannot be verified right now"/);
    assert.ok(lines.some((l) => l.includes('"level":"warn"') && l.includes('oauth')), lines.join(''));
    assert.ok(!lines.join('').includes(token.split('.')[2] ?? token));
    issuer.setDown(false);
    await delay(100); // past the fail-fast window (cooldownMs 50 here)
    assert.equal((await ping(app, token)).status, 200);
    await app.close();
  });

  test('while the issuer is down, a burst of tokens makes one JWKS fetch, not one each', async () => {
    const app = appWith({ jwksUri: issuer.jwksUri, cooldownMs: 5_000 }, []);
    issuer.setDown(true);
    try {
      const before = issuer.fetches.all;
      for (let i = 0; i < 20; i += 1) assert.equal((await ping(app, await issuer.sign({ ...claims(), sub: `s${i}` }))).status, 401);
      assert.equal(issuer.fetches.all - before, 1);
    } finally {
      issuer.setDown(false);
      await app.close();
    }
  });

  test('requiredScopes: a token without them → 403 insufficient_scope at authentication', async () => {
    const app = appWith({ jwksUri: issuer.jwksUri, requiredScopes: ['hostlens:admin'] }, []);
    const res = await ping(app, await issuer.sign(claims()));
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="hostlens:admin"/);
    await app.close();
  });
});

/** One raw HTTP/1.1 exchange (for what fetch cannot send, such as a repeated header); bounded. */
function rawHttp(port: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}
