/**
 * Static hashed tokens with scopes over real HTTP on 127.0.0.1, serving the
 * product catalogue over a fixture host: tools/list, resources/list and
 * resources/templates/list differ by scope in both eras, a call beyond the
 * principal's scopes is 403 insufficient_scope naming the scope (id echoed)
 * and the server keeps serving, a legacy session is bound to the token that
 * opened it, and the request log never holds a token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { productCatalogue } from '../../src/catalogue/index.js';
import type { Toolset } from '../../src/contracts/scopes.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { scopeIndex } from '../../src/catalogue/scope-index.js';
import { SCOPES } from '../../src/contracts/scopes.js';
import type { Scope } from '../../src/contracts/scopes.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { createLogger } from '../../src/util/log.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { expectJsonRpcError, initializeBody, LEGACY_VERSIONS, legacyHeaders, modernMeta, postModern, readMessages, readResponse } from './helpers.js';
import type { JsonRpcMessage } from './helpers.js';

const TOOLSETS: Toolset[] = ['core', 'network', 'logs', 'config', 'containers', 'history'];
const TOKENS: Record<string, { token: string; scopes: Scope[] }> = {
  reader: { token: 'reader-token-0123456789abcdef', scopes: ['hostlens:read'] },
  ops: { token: 'ops-token-0123456789abcdefghij', scopes: ['hostlens:read', 'hostlens:processes', 'hostlens:logs'] },
  all: { token: 'all-token-0123456789abcdefghij', scopes: [...SCOPES] },
  logsOnly: { token: 'logs-only-token-0123456789abc', scopes: ['hostlens:logs'] },
};
const V = LEGACY_VERSIONS[0];
const PROCESS_TOOLS = ['top_processes', 'get_process', 'list_sockets'];

describe('static tokens with scopes (product catalogue, real HTTP)', () => {
  let app: HttpApp;
  let url: string;
  let port: number;
  const lines: string[] = [];
  before(async () => {
    const services = servicesAt(`${FIXTURE_HOSTS}idle`);
    app = createHttpApp({
      factory: createProductFactory({ services, toolsets: TOOLSETS }),
      port: 0,
      authenticator: createAuthenticator({ tokens: Object.entries(TOKENS).map(([name, t]) => ({ name, sha256: sha256Hex(t.token), scopes: t.scopes })) }),
      scopeIndex: scopeIndex(productCatalogue, TOOLSETS),
      logger: createLogger({ level: 'debug', write: (line) => void lines.push(line) }),
    });
    ({ url, port } = await app.listen());
  });
  after(async () => {
    await app.close();
  });

  const auth = (who: string): Record<string, string> => ({ authorization: `Bearer ${TOKENS[who]?.token}` });
  const modern = async (who: string, method: string, params: Record<string, unknown> = {}, id: string | number = 1): Promise<Response> =>
    postModern(url, { method, id, params: { ...params, _meta: modernMeta() }, headers: auth(who) });
  const modernResult = async (who: string, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const res = await modern(who, method, params);
    assert.equal(res.status, 200, `${who} ${method}`);
    const message = await readResponse(res);
    assert.ok(message.result, JSON.stringify(message));
    return message.result;
  };
  const toolNames = async (who: string): Promise<string[]> => ((await modernResult(who, 'tools/list')).tools as Array<{ name: string }>).map((t) => t.name);

  const openSession = async (who: string): Promise<string> => {
    const res = await fetch(url, { method: 'POST', headers: legacyHeaders(V, undefined, auth(who)), body: JSON.stringify(initializeBody(V)) });
    assert.equal(res.status, 200);
    const sid = res.headers.get('mcp-session-id');
    assert.ok(sid);
    await readMessages(res);
    const ack = await fetch(url, { method: 'POST', headers: legacyHeaders(V, sid, auth(who)), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    assert.equal(ack.status, 202);
    await ack.body?.cancel();
    return sid;
  };
  const legacy = (who: string | null, sid: string, body: unknown): Promise<Response> =>
    fetch(url, { method: 'POST', headers: legacyHeaders(V, sid, who ? auth(who) : {}), body: JSON.stringify(body) });
  const legacyResult = async (who: string, sid: string, method: string, params: Record<string, unknown> = {}): Promise<JsonRpcMessage> => {
    const res = await legacy(who, sid, { jsonrpc: '2.0', id: 7, method, params });
    assert.equal(res.status, 200);
    return readResponse(res);
  };

  test('tools/list by scope (modern): read does not see process or log tools; ops sees them but not config; all sees everything', async () => {
    const reader = await toolNames('reader');
    const ops = await toolNames('ops');
    const all = await toolNames('all');
    for (const name of [...PROCESS_TOOLS, 'search_logs', 'get_config', 'get_container_logs', 'get_kernel_events']) assert.ok(!reader.includes(name), name);
    for (const name of ['triage_host', 'get_cpu', 'get_memory', 'list_containers', 'get_history']) assert.ok(reader.includes(name), name);
    for (const name of [...PROCESS_TOOLS, 'search_logs', 'get_container_logs', 'get_service']) assert.ok(ops.includes(name), name);
    assert.ok(!ops.includes('get_config') && !ops.includes('get_sysctl'));
    assert.ok(all.includes('get_config') && all.includes('get_sysctl'));
    assert.ok(reader.length < ops.length && ops.length < all.length, `${reader.length} < ${ops.length} < ${all.length}`);
    assert.deepEqual(new Set([...reader, ...ops]).size, ops.length, 'ops sees a superset of read');
  });

  test('resources/templates/list and resources/list by scope (modern): the config template needs hostlens:config', async () => {
    const templates = async (who: string) => ((await modernResult(who, 'resources/templates/list')).resourceTemplates as Array<{ uriTemplate: string }>).map((t) => t.uriTemplate);
    const readerTemplates = await templates('reader');
    assert.ok(!readerTemplates.some((t) => t.startsWith('diag://local/config/')), readerTemplates.join());
    assert.ok(readerTemplates.includes('diag://runbooks/{topic}'));
    assert.ok((await templates('all')).some((t) => t.startsWith('diag://local/config/')));
    const resources = async (who: string) => ((await modernResult(who, 'resources/list')).resources as Array<{ uri: string }>).map((r) => r.uri);
    const readerResources = await resources('reader');
    assert.ok(readerResources.includes('diag://thresholds'));
    assert.ok(!readerResources.some((u) => u.startsWith('diag://local/config/')), readerResources.join());
  });

  test('a logs-only token sees only log tools and no prompts; prompts/get and a read tool → 403 naming hostlens:read', async () => {
    const tools = await toolNames('logsOnly');
    assert.ok(tools.length > 0 && tools.includes('search_logs') && !tools.includes('get_cpu'), tools.join());
    assert.deepEqual((await modernResult('logsOnly', 'prompts/list')).prompts, []);
    assert.ok(((await modernResult('reader', 'prompts/list')).prompts as unknown[]).length > 0);
    for (const [method, params] of [['prompts/get', { name: 'triage' }], ['tools/call', { name: 'get_cpu', arguments: {} }]] as const) {
      const res = await modern('logsOnly', method, params);
      assert.match(res.headers.get('www-authenticate') ?? '', /scope="hostlens:read"/, method);
      await expectJsonRpcError(res, 403, -32000);
    }
  });

  test('a tool call beyond scope → 403 insufficient_scope naming the scope, id echoed, WWW-Authenticate; the next call is served', async () => {
    for (const name of PROCESS_TOOLS) {
      const res = await modern('reader', 'tools/call', { name, arguments: {} }, `call-${name}`);
      assert.equal(res.status, 403, name);
      assert.equal(
        res.headers.get('www-authenticate'),
        `Bearer error="insufficient_scope", scope="hostlens:processes", resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp", error_description="the access token lacks a scope this request needs"`,
      );
      const body = (await res.json()) as JsonRpcMessage;
      assert.equal(body.id, `call-${name}`);
      assert.equal(body.error?.code, -32000);
      assert.match(body.error?.message ?? '', /hostlens:processes/);
      assert.deepEqual(body.error?.data, { requiredScopes: ['hostlens:processes'], missingScopes: ['hostlens:processes'] });
    }
    const logs = await modern('reader', 'tools/call', { name: 'search_logs', arguments: {} });
    assert.match(logs.headers.get('www-authenticate') ?? '', /scope="hostlens:logs"/);
    await expectJsonRpcError(logs, 403, -32000);
    const config = await modern('ops', 'resources/read', { uri: 'diag://local/config/etc/hostname' }, 'cfg');
    assert.match(config.headers.get('www-authenticate') ?? '', /scope="hostlens:config"/);
    await expectJsonRpcError(config, 403, -32000);
    const ok = await modernResult('reader', 'tools/call', { name: 'get_cpu', arguments: {} });
    assert.notEqual(ok.isError, true, JSON.stringify(ok).slice(0, 300));
    const allowed = await modernResult('ops', 'tools/call', { name: 'top_processes', arguments: {} });
    assert.notEqual(allowed.isError, true, JSON.stringify(allowed).slice(0, 300));
  });

  test('legacy era: lists filtered per session principal; a call beyond scope → 403 on the session; the session keeps working', async () => {
    const sid = await openSession('reader');
    const tools = ((await legacyResult('reader', sid, 'tools/list')).result?.tools as Array<{ name: string }>).map((t) => t.name);
    assert.deepEqual(tools.sort(), (await toolNames('reader')).sort());
    const refused = await legacy('reader', sid, { jsonrpc: '2.0', id: 'x9', method: 'tools/call', params: { name: 'list_sockets', arguments: {} } });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="hostlens:processes"/);
    assert.equal(((await refused.json()) as JsonRpcMessage).id, 'x9');
    const cpu = await legacyResult('reader', sid, 'tools/call', { name: 'get_cpu', arguments: {} });
    assert.ok(cpu.result && cpu.result.isError !== true);
  });

  test('legacy era: resources/templates/list hides the config template from read; subscribing to a config file → 403 naming hostlens:config', async () => {
    const reader = await openSession('reader');
    const all = await openSession('all');
    const templates = async (who: string, sid: string) =>
      ((await legacyResult(who, sid, 'resources/templates/list')).result?.resourceTemplates as Array<{ uriTemplate: string }>).map((t) => t.uriTemplate);
    assert.ok(!(await templates('reader', reader)).some((t) => t.startsWith('diag://local/config/')));
    assert.ok((await templates('all', all)).some((t) => t.startsWith('diag://local/config/')));
    const sub = await legacy('reader', reader, { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri: 'diag://local/config/etc/hostname' } });
    assert.match(sub.headers.get('www-authenticate') ?? '', /scope="hostlens:config"/);
    await expectJsonRpcError(sub, 403, -32000);
  });

  test('config and admin URIs spelled so the SDK still resolves them (spaces, tabs, upper-case scheme, dot segments) need their scope (legacy)', async () => {
    const spellings = [
      ' diag://local/config/etc/hostname',
      'DIAG://local/config/etc/hostname',
      'diag://local/conf\tig/etc/hostname',
      'diag://local/x/../config/etc/hostname',
      'diag://local/./config/etc/hostname',
      'diag://admin/x/../audit',
    ];
    // Legacy era: no Mcp-Name header has to mirror the odd spelling.
    const sid = await openSession('ops');
    for (const uri of spellings) {
      for (const method of ['resources/read', 'resources/subscribe']) {
        const res = await legacy('ops', sid, { jsonrpc: '2.0', id: 1, method, params: { uri } });
        assert.equal(res.status, 403, `${method} ${JSON.stringify(uri)}`);
        await res.body?.cancel();
      }
    }
    // The owner of the scope reads the odd spelling: it really is the config file (or a not-found for it), not another resource.
    const owner = await openSession('all');
    const read = await legacyResult('all', owner, 'resources/read', { uri: 'DIAG://local/x/../config/etc/hostname' });
    const resolved = read.result ? (read.result.contents as Array<{ uri: string }>)[0]?.uri : (read.error?.data as { uri?: string } | undefined)?.uri;
    assert.equal(resolved, 'diag://local/config/etc/hostname', JSON.stringify(read));
  });

  test('modern subscriptions/listen naming a config file without hostlens:config → 403 before any stream opens', async () => {
    const res = await modern('ops', 'subscriptions/listen', { notifications: { resourceSubscriptions: ['diag://local/overview', 'diag://local/config/etc/hostname'] } }, 'listen-1');
    assert.equal(res.status, 403);
    // The challenge lists every scope the request needs (read for the overview, config for the file); data says which are missing.
    assert.match(res.headers.get('www-authenticate') ?? '', /scope="hostlens:read hostlens:config"/);
    const listenBody = (await res.json()) as JsonRpcMessage;
    assert.equal(listenBody.id, 'listen-1');
    assert.deepEqual(listenBody.error?.data, { requiredScopes: ['hostlens:read', 'hostlens:config'], missingScopes: ['hostlens:config'] });
  });

  test('a legacy session is bound to its token: another token, or none, on it → 404 like an unknown session; the owner still works', async () => {
    const sid = await openSession('ops');
    const ping = { jsonrpc: '2.0', id: 5, method: 'ping' };
    const unknown = await legacy('all', 'not-a-real-session-id', ping);
    const unknownBody = (await unknown.json()) as JsonRpcMessage;
    const stolen = await legacy('all', sid, ping);
    assert.equal(stolen.status, 404);
    const stolenBody = (await stolen.json()) as JsonRpcMessage;
    assert.equal(unknown.status, 404);
    assert.deepEqual(stolenBody, unknownBody, 'no existence oracle: same answer as an unknown id');
    assert.equal(stolenBody.error?.code, -32001);
    const reader = await legacy('reader', sid, ping);
    assert.equal(reader.status, 404);
    await reader.body?.cancel();
    const none = await legacy(null, sid, ping);
    assert.equal(none.status, 401, 'no token at all is refused before the session is looked up');
    await none.body?.cancel();
    const get = await fetch(url, { headers: { ...legacyHeaders(V, sid, auth('reader')), accept: 'text/event-stream' } });
    assert.equal(get.status, 404);
    await get.body?.cancel();
    const del = await fetch(url, { method: 'DELETE', headers: legacyHeaders(V, sid, auth('all')) });
    assert.equal(del.status, 404);
    await del.body?.cancel();
    const owner = await legacyResult('ops', sid, 'ping');
    assert.deepEqual(owner.result, {});
  });

  test('the request log names the principal and never contains a token', async () => {
    await modernResult('ops', 'tools/list');
    const text = lines.join('');
    for (const { token } of Object.values(TOKENS)) assert.ok(!text.includes(token), 'a token reached the log');
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.path === '/mcp');
    assert.ok(requests.some((l) => l.principal === 'static:ops'));
    assert.ok(requests.some((l) => l.principal === 'static:reader'));
    assert.ok(requests.some((l) => l.status === 403 && Array.isArray(l.missingScopes)));
    const before = lines.length;
    await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer wrong-token-0123456789abc' }, body: '{}' })).text();
    await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' })).text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    assert.deepEqual(refused.map((l) => [l.status, l.authError]), [[401, 'invalid_token'], [401, 'missing_token']]);
    assert.ok(!lines.join('').includes('wrong-token-0123456789abc'));
  });
});
