/**
 * Scope checks against hostile spellings: a token holding only hostlens:read asks for config and admin
 * resources and for config/logs/processes tools under other spellings — dot segments, doubled slashes,
 * upper-case scheme or authority, percent-encoded letters and slashes, userinfo and port in the authority,
 * a fragment, a query, a leading space, upper-cased or NUL-suffixed tool names. None is ever served: each is
 * 403 insufficient_scope or a -32602 not-found, and the token's own scope still works.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { MODERN } from '../e2e/helpers.js';
import { servePerSuite } from './harness.js';

const TOKEN = 'read-only-token-0123456789abcdef';
const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const header = (v: string): string => (/^[\x21-\x7e]+$/.test(v) ? v : `=?base64?${Buffer.from(v).toString('base64')}?=`);

describe('scope checks against hostile spellings (token with hostlens:read only)', { timeout: 60_000 }, () => {
  const served = servePerSuite(
    {
      HOSTLENS_AUTH: JSON.stringify({ tokens: [{ name: 'ro', sha256: createHash('sha256').update(TOKEN).digest('hex'), scopes: ['hostlens:read'] }] }),
      HOSTLENS_RATE_LIMIT: '1000,2000',
    },
    ['--toolsets', 'core,config,logs,network'],
  );

  async function call(method: string, params: Record<string, unknown>, name: string): Promise<{ status: number; text: string }> {
    const res = await fetch(served().url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method, 'mcp-name': header(name) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: META } }),
    });
    return { status: res.status, text: await res.text() };
  }

  function refused(r: { status: number; text: string }, what: string): void {
    const body = JSON.parse(r.text) as { error?: { code: number; message: string }; result?: unknown };
    assert.ok(body.error, `${what} was served: ${r.text.slice(0, 200)}`);
    if (r.status === 403) assert.match(body.error.message, /lacks hostlens:(config|admin|logs|processes)/, what);
    else assert.equal(body.error.code, -32602, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  }

  test('config and admin resources under other spellings are never read', async () => {
    const uris = [
      'diag://local/config/etc/hostname',
      'diag://local/x/../config/etc/hostname',
      'diag://local/./config/etc/hostname',
      'diag://local//config/etc/hostname',
      'DIAG://local/config/etc/hostname',
      'diag://LOCAL/config/etc/hostname',
      'diag://local/%63onfig/etc/hostname',
      'diag:/local/config/etc/hostname',
      'diag://local/config%2fetc/hostname',
      'diag://thresholds/../local/config/etc/hostname',
      'diag://local/config/etc/hostname#x',
      'diag://local/config/etc/hostname?x=1',
      'diag://user@local/config/etc/hostname',
      'diag://local:80/config/etc/hostname',
      ' diag://local/config/etc/hostname',
      'diag://admin/audit',
      'diag://admin/x/../audit',
      'diag://x/../admin/audit',
      'diag://ADMIN/audit',
    ];
    for (const uri of uris) refused(await call('resources/read', { uri }, uri), `resources/read ${uri}`);
  });

  test('tools of other scopes under other spellings are never run', async () => {
    for (const name of ['get_config', 'GET_CONFIG', 'get_config ', 'get_config\u0000', 'get_sysctl', 'read_log_file', 'top_processes', 'list_sockets', 'Get_Process']) {
      refused(await call('tools/call', { name, arguments: { path: '/etc/hostname', prefix: 'vm.', pid: 1 } }, name), `tools/call ${JSON.stringify(name)}`);
    }
  });

  test('the token still reads what its scope allows (control)', async () => {
    const r = await call('resources/read', { uri: 'diag://thresholds' }, 'diag://thresholds');
    assert.equal(r.status, 200);
    assert.match(r.text, /"contents"/);
    const t = await call('tools/call', { name: 'get_memory', arguments: {} }, 'get_memory');
    assert.match(t.text, /"structuredContent"/);
  });
});
