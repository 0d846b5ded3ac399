import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BODY_SHAPE_LIMITS, batchProblem, bodyShapeProblem, echoProblem } from './message-shape.js';
import type { ShapeRefusal } from './message-shape.js';
import { ANSWERS } from './error-mapping.js';

/** The JSON-RPC code a refusal answers with (error-mapping.ts). */
const rpc = (r: ShapeRefusal | null | undefined): number | undefined => (r ? ANSWERS[r.code].rpc : undefined);

const call = (args: unknown, id: unknown = 7): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_cpu', arguments: args } });
const deep = (n: number, open = '[', close = ']'): string => `${open.repeat(n)}${close.repeat(n)}`;

describe('bodyShapeProblem', () => {
  test('ordinary requests pass: empty params, a 64-URI listen filter, 1,000 argument keys, a 4 MiB string, escapes, whitespace', () => {
    assert.equal(bodyShapeProblem('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'), null);
    const uris = Array.from({ length: 64 }, (_, i) => `diag://local/config/etc/x${i}`);
    assert.equal(bodyShapeProblem(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: uris } } })), null);
    assert.equal(bodyShapeProblem(call(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i])))), null);
    assert.equal(bodyShapeProblem(call({ text: 'x'.repeat(4 * 1024 * 1024) })), null);
    assert.equal(bodyShapeProblem(call({ text: '"\\[{,:'.repeat(1000), 'k"': '\\' })), null);
    assert.equal(bodyShapeProblem(` \n{ "id" : "a" ,\t"params" : { "x" : [ 1 , 2 , { } , [ ] ] } }\r\n`), null);
    assert.equal(bodyShapeProblem(`{"x":${deep(BODY_SHAPE_LIMITS.maxDepth - 1)}}`), null);
  });

  test('too many members inside params → -32602 with the id sent before params (null after it)', () => {
    const keys = Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, 0]));
    const p = bodyShapeProblem(call(keys, 'abc'));
    assert.deepEqual([rpc(p), p?.id], [-32602, 'abc']);
    assert.match(p!.message, /more than 1000 members/);
    const idLast = `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x","arguments":${JSON.stringify(keys)}},"id":42}`;
    assert.deepEqual([rpc(bodyShapeProblem(idLast)), bodyShapeProblem(idLast)?.id], [-32602, null]);
    const arr = bodyShapeProblem(call({ a: Array.from({ length: 1_001 }, () => 0) }, 3));
    assert.deepEqual([rpc(arr), arr?.id], [-32602, 3]);
  });

  test('more than 10,000 values in params → -32602; 300,000 keys are refused without reading them all', () => {
    const wide = call(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, Array.from({ length: 600 }, () => 1)])));
    assert.match(bodyShapeProblem(wide)!.message, /more than 10000 JSON values/);
    const huge = call(Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, 0])));
    assert.equal(rpc(bodyShapeProblem(huge)), -32602);
  });

  test('nesting: 20,000-level arrays and objects as the body → -32600 id null; deep in params → -32602', () => {
    for (const body of [deep(20_000), deep(20_000, '{"a":', '}').replace('{"a":}', '{"a":1}')]) {
      assert.deepEqual(bodyShapeProblem(body), { code: 'invalid_request', message: `Invalid Request: nesting deeper than 64 levels (the server's bound on a request's shape)`, id: null });
    }
    const inArgs = bodyShapeProblem(call({ x: 0 }).replace('{"x":0}', `{"x":${deep(100_000)}}`));
    assert.deepEqual([rpc(inArgs), inArgs?.id], [-32602, 7]);
  });

  test('a top-level object with more than 1,000 members → -32600', () => {
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, 0])));
    assert.equal(rpc(bodyShapeProblem(body)), -32600);
  });

  test('batches: 32 messages pass, 33 → -32600 id null', () => {
    const batch = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/list' })));
    assert.equal(bodyShapeProblem(batch(32)), null);
    assert.deepEqual(bodyShapeProblem(batch(33)), { code: 'invalid_request', message: `Invalid Request: a batch carries at most 32 messages (the server's bound on a request's shape)`, id: null });
  });

  test('ids: 1,024 characters pass; longer (string or number) → -32600 id null', () => {
    assert.equal(bodyShapeProblem(call({}, 'i'.repeat(1_024))), null);
    assert.deepEqual(rpc(bodyShapeProblem(call({}, 'i'.repeat(1_025)))), -32600);
    assert.deepEqual(bodyShapeProblem(call({}, 'i'.repeat(4_000_000)))?.id, null);
    assert.equal(rpc(bodyShapeProblem(call({}).replace('"id":7', `"id":1${'0'.repeat(2_000)}`))), -32600);
  });

  test('text that is not JSON is left to JSON.parse', () => {
    for (const text of ['', 'nope', '{"a":"unterminated', ']]]', '{"a":1}}}']) assert.equal(bodyShapeProblem(text), null, text);
  });
});

describe('batchProblem', () => {
  test('at most 4 list/read requests per batch; other messages and single requests pass', () => {
    const msg = (method: string, id: number) => ({ jsonrpc: '2.0', id, method });
    assert.equal(batchProblem([msg('tools/list', 1), msg('prompts/list', 2), msg('resources/list', 3), msg('resources/read', 4), ...Array.from({ length: 28 }, (_, i) => msg('ping', 10 + i))]), null);
    assert.equal(batchProblem({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), null);
    const five = batchProblem(Array.from({ length: 5 }, (_, i) => msg('tools/list', i)));
    assert.deepEqual([rpc(five), five?.id], [-32600, null]);
    assert.match(five!.message, /at most 4 list or read requests.*this one has 5/);
  });
});

describe('echoProblem', () => {
  const req = (method: string, params: unknown, id: unknown = 4) => ({ jsonrpc: '2.0', id, method, params });
  test('names over 1,024, URIs over 16,384 and progressTokens over 256 characters are refused with the id; at the bound they pass', () => {
    const over: Array<[unknown, number, RegExp]> = [
      [req('m'.repeat(1_025), {}), -32601, /method name of 1025 characters/],
      [req('tools/call', { name: 'n'.repeat(1_025) }), -32602, /tool name of 1025/],
      [req('prompts/get', { name: 'n'.repeat(1_025) }), -32602, /prompt name of 1025/],
      [req('resources/subscribe', { uri: 'u'.repeat(16_385) }), -32602, /resource URI of 16385/],
      [req('completion/complete', { ref: { type: 'ref/resource', uri: 'u'.repeat(16_385) } }), -32602, /resource URI/],
      [req('completion/complete', { ref: { type: 'ref/prompt', name: 'n'.repeat(1_025) } }), -32602, /completion ref name/],
      [req('subscriptions/listen', { notifications: { resourceSubscriptions: ['diag://thresholds', 'u'.repeat(16_385)] } }), -32602, /resource URI/],
      [req('tools/list', { _meta: { progressToken: 't'.repeat(257) } }), -32602, /progressToken of 257 characters \(at most 256\)/],
    ];
    for (const [body, code, message] of over) {
      const r = echoProblem(body);
      assert.deepEqual([rpc(r), r?.id, r ? ANSWERS[r.code].status : undefined], [code, 4, code === -32601 ? 404 : 400], JSON.stringify(r).slice(0, 200));
      assert.match(r!.message, message);
      assert.ok(r!.message.length < 300 && JSON.stringify(r!.data ?? '').length < 300, 'echo clipped');
    }
    assert.equal(echoProblem(req('tools/call', { name: 'n'.repeat(1_024), _meta: { progressToken: 't'.repeat(256) } })), null);
    assert.equal(echoProblem(req('resources/read', { uri: 'u'.repeat(16_384) })), null);
    assert.equal(echoProblem(req('tools/list', { _meta: { progressToken: 12345678901234 } })), null);
    assert.equal(echoProblem({ jsonrpc: '2.0', id: 1, result: { name: 'n'.repeat(5_000) } }), null, 'responses are not requests');
    const batch = echoProblem([req('ping', {}, 1), req('tools/call', { name: 'n'.repeat(2_000) }, 2)]);
    assert.deepEqual([rpc(batch), batch?.id], [-32602, null]);
  });
});

describe('ids a client may choose', () => {
  test('any short string or number id passes, whatever it spells (a string sentinel once refused the id "too-long")', () => {
    for (const id of ['too-long', 'TOO_LONG', 'null', '', ' ', 'x'.repeat(1_024), 0, -1, 1.5, 2 ** 53]) {
      const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_cpu', arguments: {} } });
      assert.equal(bodyShapeProblem(body), null, `id ${JSON.stringify(id).slice(0, 40)}`);
    }
    const long = JSON.stringify({ jsonrpc: '2.0', id: 'x'.repeat(1_025), method: 'ping' });
    assert.equal(rpc(bodyShapeProblem(long)), -32600);
  });
});
