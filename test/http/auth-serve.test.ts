/**
 * `hostlens serve` wiring of authentication: a config file with scoped static
 * tokens (sha256 only) plus the legacy token from HOSTLENS_AUTH_TOKEN, bound
 * to 0.0.0.0 (allowed because auth is on); tools/list by scope, 403 beyond
 * it, the RFC 9728 document, and no token in the logs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { freePort, killAll, spawnHostlens } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';
import { ACCEPT, MODERN, modernMeta } from './helpers.js';
import type { JsonRpcMessage } from './helpers.js';

const READER = 'serve-reader-token-0123456789';
const LEGACY = 'serve-legacy-token-0123456789';

describe('hostlens serve with auth.tokens and authToken', { timeout: 60_000 }, () => {
  let child: Spawned;
  let url: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-auth-serve-'));
    const config = join(dir, 'hostlens.json');
    const port = await freePort();
    writeFileSync(
      config,
      JSON.stringify({ host: '0.0.0.0', port, toolsets: ['core', 'logs'], auth: { tokens: [{ name: 'reader', sha256: sha256Hex(READER), scopes: ['hostlens:read'] }] } }),
    );
    child = spawnHostlens(['serve', '--config', config, '--log-level', 'debug'], { env: { HOSTLENS_AUTH_TOKEN: LEGACY } });
    ({ url } = await child.listening(30_000));
  });
  after(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (token: string | null, method: string, params: Record<string, unknown> = {}): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-protocol-version': MODERN,
        'mcp-method': method,
        ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: modernMeta() } }),
    });
  const names = async (token: string): Promise<string[]> => {
    const res = await call(token, 'tools/list');
    assert.equal(res.status, 200);
    return (((await res.json()) as JsonRpcMessage).result?.tools as Array<{ name: string }>).map((t) => t.name);
  };

  test('the reader sees read tools only; the legacy token (default) sees every enabled tool; beyond scope → 403', async () => {
    const reader = await names(READER);
    const all = await names(LEGACY);
    assert.ok(reader.includes('get_cpu') && !reader.includes('top_processes') && !reader.includes('search_logs'));
    assert.ok(all.includes('top_processes') && all.includes('search_logs'));
    const refused = await call(READER, 'tools/call', { name: 'search_logs', arguments: {} });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate') ?? '', /scope="hostlens:logs"/);
    await refused.body?.cancel();
    const none = await call(null, 'tools/list');
    assert.equal(none.status, 401);
    await none.body?.cancel();
  });

  test('the metadata document is served; the logs name principals and hold no token', async () => {
    const meta = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url));
    assert.equal(meta.status, 200);
    const doc = (await meta.json()) as { resource: string; scopes_supported: string[]; authorization_servers?: string[] };
    assert.equal(doc.resource, url);
    assert.equal(doc.authorization_servers, undefined, 'no issuer without oauth');
    const logs = child.stderr();
    assert.ok(logs.includes('"principal":"static:reader"') && logs.includes('"principal":"static:default"'));
    assert.ok(!logs.includes(READER) && !logs.includes(LEGACY));
  });
});
