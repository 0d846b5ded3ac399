import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { productCatalogue } from './index.js';
import { requiredScopeFor, requiredScopesFor, scopeIndex, scopeOfResource } from './scope-index.js';
import { scopeOfTool } from '../contracts/scopes.js';
import { principalOf } from '../server/principal.js';
import { createStaticTokenVerifier, legacyTokenEntry, sha256Hex } from '../http/auth/static-tokens.js';
import { authConfigSchema } from '../http/auth/auth-config.js';

const index = scopeIndex(productCatalogue, ['core', 'network', 'logs', 'config', 'containers']);
const call = (method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 1, method, params });

describe('scopes', () => {
  test('tool scopes: toolset defaults and the declared overrides', () => {
    const byName = new Map(productCatalogue.tools.map((t) => [t.name, scopeOfTool(t)]));
    assert.equal(byName.get('get_cpu'), 'hostlens:read');
    assert.equal(byName.get('list_containers'), 'hostlens:read');
    assert.equal(byName.get('top_processes'), 'hostlens:processes');
    assert.equal(byName.get('get_process'), 'hostlens:processes');
    assert.equal(byName.get('list_sockets'), 'hostlens:processes');
    assert.equal(byName.get('get_container_logs'), 'hostlens:logs');
    assert.equal(byName.get('get_service'), 'hostlens:logs');
    assert.equal(byName.get('search_logs'), 'hostlens:logs');
    assert.equal(byName.get('get_config'), 'hostlens:config');
  });

  test('resource scopes: config files and admin resources by prefix, the rest read', () => {
    assert.equal(scopeOfResource('diag://local/config/etc/hosts'), 'hostlens:config');
    assert.equal(scopeOfResource('diag://admin/audit'), 'hostlens:admin');
    assert.equal(scopeOfResource('diag://thresholds'), 'hostlens:read');
    assert.equal(index.resource('diag://local/config/{+path}'), 'hostlens:config');
    assert.equal(index.resource('diag://admin/audit'), 'hostlens:admin');
    for (const uri of [' diag://local/config/etc/hosts', 'DIAG://local/config/etc/hosts', 'diag://local/con\nfig/etc/hosts', 'diag://local/a/../config/x']) {
      assert.equal(index.resource(uri), 'hostlens:config', JSON.stringify(uri));
      assert.equal(scopeOfResource(uri), 'hostlens:config', JSON.stringify(uri));
    }
    assert.equal(index.resource('Diag://admin/./audit?limit=1'), 'hostlens:admin');
  });

  test('requiredScopeFor: calls, reads, subscriptions, completion, prompts; none for lists, unknown or disabled tools', () => {
    assert.equal(requiredScopeFor(call('tools/call', { name: 'top_processes' }), index), 'hostlens:processes');
    assert.equal(requiredScopeFor(call('tools/call', { name: 'get_cpu' }), index), 'hostlens:read');
    assert.equal(requiredScopeFor(call('tools/call', { name: 'no_such_tool' }), index), null);
    assert.equal(requiredScopeFor(call('tools/call', { name: 'get_history' }), index), null, 'history is not enabled here');
    assert.equal(requiredScopeFor(call('tools/call', { name: 42 }), index), null);
    assert.equal(requiredScopeFor(call('resources/read', { uri: 'diag://local/config/etc/hosts' }), index), 'hostlens:config');
    assert.equal(requiredScopeFor(call('resources/subscribe', { uri: 'diag://admin/audit' }), index), 'hostlens:admin');
    assert.equal(requiredScopeFor(call('completion/complete', { ref: { type: 'ref/resource', uri: 'diag://local/config/{+path}' } }), index), 'hostlens:config');
    assert.equal(requiredScopeFor(call('prompts/get', { name: 'triage' }), index), 'hostlens:read');
    assert.equal(requiredScopeFor(call('completion/complete', { ref: { type: 'ref/prompt', name: 'triage' } }), index), 'hostlens:read');
    for (const method of ['initialize', 'tools/list', 'resources/list', 'ping', 'server/discover']) assert.equal(requiredScopeFor(call(method), index), null, method);
    assert.deepEqual(
      requiredScopesFor(call('subscriptions/listen', { notifications: { resourceSubscriptions: ['diag://local/overview', 'diag://local/config/etc/hosts', 7] } }), index).sort(),
      ['hostlens:config', 'hostlens:read'],
    );
    assert.deepEqual(requiredScopesFor([call('tools/call', { name: 'list_sockets' }), call('tools/call', { name: 'search_logs' })], index).sort(), ['hostlens:logs', 'hostlens:processes']);
    for (const junk of [null, 'x', 5, [], {}, { method: 'tools/call', params: 'nope' }, { method: 'tools/call', params: null }]) assert.equal(requiredScopeFor(junk, index), null);
  });

  test('principalOf: no AuthInfo is anonymous with every scope; unknown scope strings are dropped', () => {
    assert.equal(principalOf().id, 'anonymous');
    assert.equal(principalOf().scopes.size, 5);
    const p = principalOf({ token: 'x', clientId: 'oauth:http://i#s', scopes: ['hostlens:read', 'openid', 'hostlens:bogus'], expiresAt: 100 });
    assert.equal(p.kind, 'oauth');
    assert.deepEqual([...p.scopes], ['hostlens:read']);
    assert.equal(p.expiresAtMs, 100_000);
  });
});

describe('static tokens', () => {
  test('a presented token matches its digest only, whole; the legacy token has every scope', () => {
    const verify = createStaticTokenVerifier([
      { name: 'ops', sha256: sha256Hex('ops-token-0123456789'), scopes: ['hostlens:read'] },
      { name: 'adm', sha256: sha256Hex('adm-token-0123456789').toUpperCase(), scopes: ['hostlens:admin'] },
      legacyTokenEntry('legacy-token-0123456789'),
    ]);
    assert.deepEqual(verify('ops-token-0123456789'), { name: 'ops', scopes: ['hostlens:read'] });
    assert.equal(verify('adm-token-0123456789')?.name, 'adm', 'upper-case hex digests work');
    assert.equal(verify('legacy-token-0123456789')?.scopes.length, 5);
    for (const wrong of ['ops-token-012345678', 'ops-token-01234567890', '', sha256Hex('ops-token-0123456789')]) assert.equal(verify(wrong), null, wrong);
    assert.throws(() => createStaticTokenVerifier([{ name: 'x', sha256: 'abcd', scopes: [] }]), /64 hex/);
  });

  test('config: sha256 must be 64 hex, scopes known, names unique, oauth URLs http(s), skew ≤ 300, no HS* or none', () => {
    const ok = { tokens: [{ name: 'ops', sha256: 'a'.repeat(64), scopes: ['hostlens:read'] }], oauth: { issuer: 'http://127.0.0.1:9000' } };
    const parsed = authConfigSchema.parse(ok);
    assert.deepEqual(parsed.oauth?.algorithms, ['RS256', 'PS256', 'ES256', 'EdDSA']);
    assert.equal(parsed.oauth?.clockSkewSec, 30);
    const bad: unknown[] = [
      { tokens: [{ name: 'ops', sha256: 'a'.repeat(63), scopes: ['hostlens:read'] }] },
      { tokens: [{ name: 'ops', sha256: 'g'.repeat(64), scopes: ['hostlens:read'] }] },
      { tokens: [{ name: 'ops', sha256: 'a'.repeat(64), scopes: ['hostlens:root'] }] },
      { tokens: [{ name: 'ops', sha256: 'a'.repeat(64), scopes: [] }] },
      { tokens: [ok.tokens[0], ok.tokens[0]] },
      { tokens: [{ name: 'ops', sha256: 'a'.repeat(64), scopes: ['hostlens:read'], token: 'plain' }] },
      { oauth: { issuer: 'ftp://x' } },
      { oauth: { issuer: 'http://x', jwksUri: 'file:///etc/passwd' } },
      { oauth: { issuer: 'http://x', clockSkewSec: 301 } },
      { oauth: { issuer: 'http://x', algorithms: ['HS256'] } },
      { oauth: { issuer: 'http://x', algorithms: ['none'] } },
      { oauth: { issuer: 'http://x', extra: 1 } },
    ];
    for (const value of bad) assert.equal(authConfigSchema.safeParse(value).success, false, JSON.stringify(value));
  });
});
