/**
 * Hostile resource URIs over real HTTP in both eras, against the product app:
 * `..` and encoded slashes into diag://local/config, NUL (%00 and raw),
 * double encoding, `..` in snapshot and runbook ids, unknown schemes (file:,
 * http:, javascript:), query and fragment suffixes, upper-case schemes, empty
 * and 100 KB URIs. Every read is resource-not-found in the spec's shape
 * (-32602 with data.uri naming the URI asked for; legacy sessions use the same
 * code), never content; resources/subscribe refuses them the same way;
 * completion never offers a denied or outside path; the modern 100 KB URI
 * cannot even be mirrored into Mcp-Name (431). The server then still serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCEPT, expectJsonRpcError, legacyHeaders, MODERN, modernMeta, openLegacySession, readResponse } from '../http/helpers.js';
import type { JsonRpcMessage } from '../http/helpers.js';
import { assertNoLeak, assertNotPolluted, startProductHttp } from './harness.js';

const HOSTILE_URIS = [
  'diag://local/config/..%2f..%2fetc%2fshadow',
  'diag://local/config/etc%2fshadow',
  'diag://local/config/etc/../etc/shadow',
  'diag://local/config/%2e%2e/%2e%2e/etc/shadow',
  'diag://local/config/%252e%252e%252fetc%252fshadow',
  'diag://local/config/etc/shadow%00.conf',
  'diag://local/config/etc/hostname%00',
  'diag://local/config/etc/host\u0000name',
  'diag://local/config/proc/self/environ',
  'diag://local/config/proc/self/root/etc/shadow',
  'diag://local/config/etc/ssh/ssh_host_ed25519_key',
  'diag://local/config/etc/shadow/',
  'diag://snapshots/../x',
  'diag://snapshots/..%2f..%2fetc%2fpasswd',
  'diag://snapshots/%00',
  'diag://runbooks/../../etc/passwd',
  'diag://runbooks/high-cpu%00',
  'diag://runbooks/%2e%2e',
  'diag://thresholds/../local/config/etc/shadow',
  'diag://thresholds?x=1',
  'diag://thresholds#frag',
  'DIAG://THRESHOLDS',
  'file:///etc/shadow',
  'file:///etc/passwd',
  'http://127.0.0.1:1/x',
  'javascript:alert(1)',
  'data:text/plain,hello',
  'diag:',
  '',
  `diag://local/config/${'a'.repeat(10_000)}`,
];

type Era = 'modern' | 'legacy';

describe('hostile resource URIs over HTTP, both eras', { timeout: 60_000 }, () => {
  let h: Awaited<ReturnType<typeof startProductHttp>>;
  let sid: string;
  let shadowHead = '';

  before(async () => {
    h = await startProductHttp();
    sid = await openLegacySession(h.url, '2025-11-25');
    try {
      const { readFileSync } = await import('node:fs');
      shadowHead = readFileSync('/etc/shadow', 'utf8').split('\n')[0]?.split(':').slice(0, 2).join(':') ?? '';
    } catch {
      shadowHead = '';
    }
  });
  after(async () => {
    await h?.close();
  });

  const header = (v: string): string => (/^[\x21-\x7e]*$/.test(v) && v !== '' ? v : `=?base64?${Buffer.from(v).toString('base64')}?=`);

  function post(era: Era, method: string, params: Record<string, unknown>, name?: string): Promise<Response> {
    if (era === 'legacy') return fetch(h.url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify({ jsonrpc: '2.0', id: 5, method, params }) });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method };
    if (name !== undefined) headers['mcp-name'] = header(name);
    return fetch(h.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 5, method, params: { ...params, _meta: modernMeta() } }) });
  }

  function assertNoContent(msg: JsonRpcMessage, uri: string): void {
    const text = JSON.stringify(msg);
    assertNoLeak(text, uri.slice(0, 80));
    if (shadowHead) assert.ok(!text.includes(shadowHead), `${uri}: /etc/shadow content`);
    assert.ok(!('result' in msg), `${uri.slice(0, 80)} was served: ${text.slice(0, 200)}`);
  }

  for (const era of ['modern', 'legacy'] as const) {
    test(`${era}: resources/read of every hostile URI → -32602 resource-not-found with data.uri, never content`, async () => {
      for (const uri of HOSTILE_URIS) {
        const res = await post(era, 'resources/read', { uri }, uri);
        assert.equal(res.status, 200, `${uri.slice(0, 80)}: HTTP ${res.status}`);
        const msg = await readResponse(res);
        assertNoContent(msg, uri);
        assert.equal(msg.id, 5);
        assert.equal(msg.error?.code, -32602, `${uri.slice(0, 80)}: ${JSON.stringify(msg.error).slice(0, 200)}`);
        assert.equal(typeof (msg.error?.data as { uri?: unknown } | undefined)?.uri, 'string', `${uri.slice(0, 80)}: data.uri`);
        assert.ok(msg.error!.message.length > 0);
      }
      const ok = await readResponse(await post(era, 'resources/read', { uri: 'diag://thresholds' }, 'diag://thresholds'));
      assert.ok(ok.result, 'diag://thresholds is still served');
    });

    test(`${era}: completion of the config path never offers a denied or outside path`, async () => {
      for (const value of ['../../', 'etc/sh', '/etc/sh', '..%2f', 'proc/self/', 'etc/ssl/private/', '\u0000', 'x'.repeat(5_000)]) {
        const res = await post(era, 'completion/complete', { ref: { type: 'ref/resource', uri: 'diag://local/config/{+path}' }, argument: { name: 'path', value } });
        const msg = await readResponse(res);
        assertNoLeak(JSON.stringify(msg), `completion ${JSON.stringify(value.slice(0, 20))}`);
        if (msg.error) {
          assert.equal(msg.error.code, -32602, JSON.stringify(msg.error));
          continue;
        }
        const values = (msg.result as { completion: { values: string[] } }).completion.values;
        for (const v of values) {
          assert.doesNotMatch(v, /shadow|\.\.|environ|private|\.ssh|^proc\//, `completion offered ${v} for ${JSON.stringify(value.slice(0, 20))}`);
        }
      }
    });
  }

  test('legacy: resources/subscribe of hostile URIs → -32602 with data.uri; the session still reads', async () => {
    for (const uri of HOSTILE_URIS.slice(0, 20)) {
      const msg = await readResponse(await post('legacy', 'resources/subscribe', { uri }));
      assert.equal(msg.error?.code, -32602, `${uri.slice(0, 80)}: ${JSON.stringify(msg).slice(0, 200)}`);
      assert.equal(typeof (msg.error?.data as { uri?: unknown } | undefined)?.uri, 'string');
    }
    const ok = await readResponse(await post('legacy', 'resources/read', { uri: 'diag://thresholds' }));
    assert.ok(ok.result);
  });

  test('a 100 KB URI: legacy → -32602; modern cannot mirror it into Mcp-Name (431 header too large), and without Mcp-Name → 400 -32602 (the URI bound, 16,384 chars, before the SDK\'s header check)', async () => {
    const uri = `diag://local/config/${'b/'.repeat(50_000)}`;
    const legacy = await readResponse(await post('legacy', 'resources/read', { uri }));
    assertNoContent(legacy, 'the 100 KB URI');
    assert.equal(legacy.error?.code, -32602);
    const mirrored = await post('modern', 'resources/read', { uri }, uri).catch((e: unknown) => e);
    if (mirrored instanceof Response) {
      assert.equal(mirrored.status, 431);
      await mirrored.body?.cancel();
    } else {
      assert.ok(mirrored instanceof Error, 'the request fails at the HTTP level (server closed it)');
    }
    const bare = await post('modern', 'resources/read', { uri });
    const refused = await expectJsonRpcError(bare, 400, -32602, { id: 5 });
    assert.match(refused.error.message, /resource URI of 100020 characters \(at most 16384\)/);
    assert.equal(typeof (refused.error.data as { uri?: unknown }).uri, 'string');
    const ok = await readResponse(await post('modern', 'resources/read', { uri: 'diag://thresholds' }, 'diag://thresholds'));
    assert.ok(ok.result, 'still serving');
    assertNotPolluted();
  });
});
