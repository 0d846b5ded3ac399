/**
 * Hostile JSON-RPC envelopes over real HTTP, both eras, against the product
 * (every toolset) behind the real HTTP app in this process: wrong types for
 * jsonrpc/id/method/params, huge ids (1e308, 1e400, 10,000-char strings), deep
 * nesting (10,000 and 100,000 levels: no stack overflow), unicode and lone
 * surrogates, prototype-pollution keys, batches, notifications with ids and
 * responses sent as requests. Every answer is the spec's status and code
 * (test/http/helpers expectJsonRpcError: JSON body, no HTML, no stack), a
 * fast-check property mixes the parts at random (never a 5xx, never -32603,
 * ids echoed), and afterwards the server still serves tools/call get_cpu in
 * both eras and Object.prototype is untouched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ACCEPT, assertNoLeak, expectJsonRpcError, legacyHeaders, MODERN, modernMeta, openLegacySession, readMessages, readResponse } from '../http/helpers.js';
import type { JsonRpcMessage } from '../http/helpers.js';
import { assertNotPolluted, startProductHttp } from './harness.js';

const LEGACY = '2025-11-25';
const META = modernMeta();
const BAD_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const RUNS = Number(process.env.HOSTILE_RUNS ?? 40);

type Era = 'modern' | 'legacy';


describe('hostile JSON-RPC envelopes over HTTP', { timeout: 120_000 }, () => {
  let h: Awaited<ReturnType<typeof startProductHttp>>;
  let sid: string;

  before(async () => {
    h = await startProductHttp();
    sid = await openLegacySession(h.url, LEGACY);
  });
  after(async () => {
    await h?.close();
  });

  /** POSTs raw text in an era: modern with mirrored Mcp-Method/Mcp-Name headers, legacy inside the open session. */
  function post(era: Era, body: string, method = 'tools/list', name?: string): Promise<Response> {
    const headers =
      era === 'modern'
        ? { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) }
        : legacyHeaders(LEGACY, sid);
    return fetch(h.url, { method: 'POST', headers, body });
  }

  const meta = (era: Era): Record<string, unknown> => (era === 'modern' ? { _meta: META } : {});
  const envelope = (era: Era, fields: Record<string, unknown>): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: meta(era), ...fields });

  async function stillServes(): Promise<void> {
    for (const era of ['modern', 'legacy'] as const) {
      const res = await post(era, JSON.stringify({ jsonrpc: '2.0', id: 'alive', method: 'tools/call', params: { name: 'get_cpu', arguments: {}, ...meta(era) } }), 'tools/call', 'get_cpu');
      assert.equal(res.status, 200, era);
      const msg = await readResponse(res);
      assert.equal(msg.id, 'alive');
      assert.equal((msg.result as { isError?: boolean }).isError, undefined, `${era}: ${JSON.stringify(msg).slice(0, 300)}`);
    }
  }

  /** Legacy answers a request's JSON-RPC error in band (200, SSE); modern with its HTTP status. */
  async function expectRpcError(era: Era, res: Response, modernStatus: number, code: number, id: string | number | null): Promise<void> {
    if (era === 'modern' || res.status !== 200) {
      await expectJsonRpcError(res, modernStatus, code, { id });
      return;
    }
    const msg = await readResponse(res);
    assert.equal(msg.error?.code, code, JSON.stringify(msg));
    assert.deepEqual(msg.id, id);
    assertNoLeak(JSON.stringify(msg));
  }

  for (const era of ['modern', 'legacy'] as const) {
    describe(`${era} era`, () => {
      test('wrong jsonrpc, id, method and params types → 400 -32600, the id echoed when it is readable', async () => {
        const cases: Array<[string, Record<string, unknown>, string | number | null]> = [
          ['jsonrpc "1.0"', { jsonrpc: '1.0' }, 1],
          ['jsonrpc 2 (number)', { jsonrpc: 2 }, 1],
          ['jsonrpc null', { jsonrpc: null }, 1],
          ['id null', { id: null }, null],
          ['id {}', { id: {} }, null],
          ['id []', { id: [] }, null],
          ['id true', { id: true }, null],
          ['id 1e308', { id: 1e308 }, 1e308],
          ['method 5', { method: 5 }, 1],
          ['method null', { method: null }, 1],
          ['method {}', { method: {} }, 1],
          ['params "x"', { params: 'x' }, 1],
          ['params [1]', { params: [1] }, 1],
          ['params null', { params: null }, 1],
          ['params 5', { params: 5 }, 1],
          ['params._meta "x"', { params: { _meta: 'x' } }, 1],
          ['a top-level __proto__ member', { ['__proto__']: { polluted: 1 } }, 1],
        ];
        for (const [label, fields, id] of cases) {
          const body = label.includes('__proto__')
            ? envelope(era, {}).replace(/^\{/, '{"__proto__":{"polluted":"yes"},')
            : envelope(era, fields);
          const res = await post(era, body);
          // The id is echoed only when it is a string or a number the SDK can read back; otherwise null.
          const echoed = label.startsWith('method') ? null : id;
          const text = await res.clone().text();
          assert.equal(res.status, 400, `${label}: ${res.status} ${text.slice(0, 200)}`);
          const err = await expectJsonRpcError(res, 400, BAD_REQUEST);
          if (echoed !== null) assert.deepEqual(err.id, echoed, `${label}: id`);
        }
        assertNotPolluted();
        await stillServes();
      });

      test('an id of 1e400 (Infinity once parsed) → 400 -32600 with id null; a 1,024-char string id is served and echoed, a 10,000-char one → 400 -32600 id null', async () => {
        const inf = await post(era, envelope(era, {}).replace('"id":1', '"id":1e400'));
        await expectJsonRpcError(inf, 400, BAD_REQUEST, { id: null });
        await expectJsonRpcError(await post(era, envelope(era, { id: 'i'.repeat(10_000) })), 400, BAD_REQUEST, { id: null });
        const long = 'i'.repeat(1_024);
        const res = await post(era, envelope(era, { id: long }));
        assert.equal(res.status, 200);
        const msg = await readResponse(res);
        assert.equal(msg.id, long);
        assert.ok(Array.isArray((msg.result as { tools?: unknown[] }).tools));
        await stillServes();
      });

      test('unknown, empty, 10,000-char and path-like methods → -32601 (modern: HTTP 404; legacy: in band); non-ASCII, lone-surrogate or NUL methods → modern 400 -32020', async () => {
        for (const method of ['no/such_method', '', 'm'.repeat(10_000), 'tools/list/../call', '../../etc/passwd']) {
          const header = /^[\x21-\x7e]*$/.test(method) ? method : `=?base64?${Buffer.from(method).toString('base64')}?=`;
          const res = await post(era, envelope(era, { method, id: 'm' }), header);
          await expectRpcError(era, res, 404, METHOD_NOT_FOUND, 'm');
        }
        // Method names are ASCII: the SDK compares Mcp-Method literally (it decodes =?base64?…?= only for Mcp-Name and
        // Mcp-Param-*), and a lone surrogate or NUL has no valid header form anyway, so a non-ASCII method cannot be
        // mirrored: modern → 400 -32020 HeaderMismatch; legacy (no such header) → -32601.
        for (const method of ['tools/\uD800list', 'tools/list\u0000', 'tools/\u00e9']) {
          const res = await post(era, envelope(era, { method, id: 'm' }), `=?base64?${Buffer.from(method).toString('base64')}?=`);
          if (era === 'modern') await expectJsonRpcError(res, 400, -32020, { id: 'm' });
          else await expectRpcError(era, res, 404, METHOD_NOT_FOUND, 'm');
        }
        await stillServes();
      });

      test('a notification method sent with an id is a request for an unknown method → -32601', async () => {
        const res = await post(era, envelope(era, { method: 'notifications/initialized', id: 7 }), 'notifications/initialized');
        await expectRpcError(era, res, 404, METHOD_NOT_FOUND, 7);
        await stillServes();
      });

      test('deep nesting: 10,000-level arrays and objects as the body → 400 -32600; 100,000 levels inside arguments and 10,000 inside _meta → 400 -32602 with the id (bounded before parsing: body-shape.ts)', async () => {
        const arr = await post(era, `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
        await expectJsonRpcError(arr, 400, BAD_REQUEST, { id: null });
        const obj = await post(era, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
        await expectJsonRpcError(obj, 400, BAD_REQUEST, { id: null });
        const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
        const inArgs = envelope(era, { method: 'tools/call', params: { name: 'get_cpu', arguments: { x: 0 }, ...meta(era) } }).replace('{"x":0}', `{"x":${deep(100_000)}}`);
        const res = await post(era, inArgs, 'tools/call', 'get_cpu');
        assert.match((await expectJsonRpcError(res, 400, -32602, { id: 1 })).error.message, /nesting deeper than 64 levels/);
        const inMeta = envelope(era, { method: 'tools/call', params: { name: 'get_cpu', arguments: {}, _meta: { ...(era === 'modern' ? META : {}), 'io.github.hostile/deep': 0 } } }).replace(
          '"io.github.hostile/deep":0',
          `"io.github.hostile/deep":${deep(10_000)}`,
        );
        await expectJsonRpcError(await post(era, inMeta, 'tools/call', 'get_cpu'), 400, -32602, { id: 1 });
        await stillServes();
      });

      test('nested __proto__ / constructor keys in params and _meta are ignored: served, Object.prototype untouched', async () => {
        const body = envelope(era, { params: { ...meta(era), x: 0 } }).replace('"x":0', '"__proto__":{"polluted":"p"},"constructor":{"prototype":{"polluted":"c"}}');
        const res = await post(era, body);
        assert.equal(res.status, 200);
        assert.ok(Array.isArray(((await readResponse(res)).result as { tools?: unknown[] }).tools));
        assertNotPolluted();
      });

      test('progressToken: object, array, 1.5, null and true → 400 -32600; a 10,000-char string → 400 -32602 with the id (the server\'s 256-char bound: every progress notification echoes it); 256 chars and -1 are echoed in the progress notifications', async () => {
        const call = (token: unknown): string =>
          JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'tools/call', params: { name: 'get_cpu', arguments: { windowSec: 0.2 }, _meta: { ...(era === 'modern' ? META : {}), progressToken: token } } });
        for (const token of [{}, [], 1.5, null, true]) {
          await expectJsonRpcError(await post(era, call(token), 'tools/call', 'get_cpu'), 400, BAD_REQUEST, { id: 'p' });
        }
        const long = await expectJsonRpcError(await post(era, call('t'.repeat(10_000)), 'tools/call', 'get_cpu'), 400, -32602, { id: 'p' });
        assert.match(long.error.message, /progressToken of 10000 characters \(at most 256\)/);
        assert.ok(long.error.message.length < 400, 'the token is not echoed whole');
        for (const token of ['t'.repeat(256), -1]) {
          const messages = await readMessages(await post(era, call(token), 'tools/call', 'get_cpu'));
          const progress = messages.filter((m) => m.method === 'notifications/progress');
          assert.ok(progress.length > 0, 'progress was sent');
          for (const m of progress) assert.deepEqual(m.params?.progressToken, token);
          assert.ok(messages.some((m) => m.id === 'p' && 'result' in m));
        }
      });

      test(`fast-check: ${RUNS} random envelopes: never a 5xx, never -32603, always a JSON-RPC answer or 202`, async () => {
        const idArb = fc.oneof(fc.integer(), fc.string({ maxLength: 50 }), fc.constantFrom(null, 1e308, 1.5, true, {}, [], 'x'.repeat(2000)));
        const methodArb = fc.oneof(fc.constantFrom('tools/list', 'tools/call', 'resources/read', 'prompts/get', 'ping', 'server/discover', 'initialize', 'notifications/initialized', ''), fc.string({ maxLength: 30 }), fc.constantFrom(5, null));
        const paramsArb = fc.oneof(
          fc.constant(meta(era)),
          fc.record({ name: fc.constantFrom('get_cpu', 'nope', '__proto__'), arguments: fc.jsonValue({ maxDepth: 2 }) }).map((p) => ({ ...p, ...meta(era) })),
          fc.record({ uri: fc.constantFrom('diag://thresholds', 'diag://local/config/..%2f..%2fetc%2fshadow', 'file:///etc/shadow', '') }).map((p) => ({ ...p, ...meta(era) })),
          fc.jsonValue({ maxDepth: 2 }),
        );
        const envelopeArb = fc.record(
          { jsonrpc: fc.constantFrom('2.0', '2.0', '2.0', '1.0', 2), id: idArb, method: methodArb, params: paramsArb },
          { requiredKeys: ['method'] },
        );
        await fc.assert(
          fc.asyncProperty(envelopeArb, async (env) => {
            const method = typeof env.method === 'string' && /^[\x21-\x7e]+$/.test(env.method) ? env.method : 'tools/list';
            const p = env.params as { name?: unknown; uri?: unknown } | null;
            const name = p && typeof p === 'object' && !Array.isArray(p) ? (typeof p.name === 'string' ? p.name : typeof p.uri === 'string' && p.uri !== '' ? p.uri : undefined) : undefined;
            const res = await post(era, JSON.stringify(env), method, name);
            const text = await res.clone().text();
            assert.ok(res.status < 500, `HTTP ${res.status}: ${text.slice(0, 300)}`);
            assertNoLeak(text);
            if (res.status === 202) {
              assert.equal(text, '');
              return;
            }
            const messages: JsonRpcMessage[] = await readMessages(res);
            assert.ok(messages.length >= 1, `HTTP ${res.status} without a JSON-RPC message`);
            for (const m of messages) {
              assert.equal(m.jsonrpc ?? '2.0', '2.0');
              if (m.error) assert.notEqual(m.error.code, -32603, `internal error: ${JSON.stringify(m).slice(0, 300)}`);
            }
            const answer = messages.find((m) => 'result' in m || 'error' in m);
            if (answer && 'result' in answer) assert.deepEqual(answer.id, env.id, 'a served request echoes its id');
          }),
          { numRuns: RUNS },
        );
        assertNotPolluted();
        await stillServes();
      });
    });
  }

  test('a response or an error object sent as a request: 202 inside a legacy session, 400 without a session', async () => {
    for (const body of ['{"jsonrpc":"2.0","id":1,"result":{}}', '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}']) {
      const inSession = await post('legacy', body);
      assert.equal(inSession.status, 202, body);
      assert.equal(await inSession.text(), '');
      const bare = await post('modern', body);
      await expectJsonRpcError(bare, 400, -32000, { id: 1 });
    }
    await stillServes();
  });

  test('a batch in a 2025-03-26 session (the revision that had batches) is answered message by message', async () => {
    const old = await openLegacySession(h.url, '2025-03-26');
    const res = await fetch(h.url, {
      method: 'POST',
      headers: legacyHeaders('2025-03-26', old),
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/list' },
        { jsonrpc: '2.0', id: 2, method: 'ping' },
      ]),
    });
    assert.equal(res.status, 200);
    const answers = (await readMessages(res)).filter((m) => 'result' in m);
    assert.deepEqual(answers.map((m) => m.id).sort(), [1, 2]);
    const empty = await fetch(h.url, { method: 'POST', headers: legacyHeaders('2025-03-26', old), body: '[]' });
    await expectJsonRpcError(empty, 400, BAD_REQUEST, { id: null });
    await stillServes();
  });
});
