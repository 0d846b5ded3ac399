import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStreamCap, holdsRequest } from './stream-cap.js';

const get = (): Request => new Request('http://127.0.0.1/mcp', { method: 'GET' });
const post = (): Request => new Request('http://127.0.0.1/mcp', { method: 'POST', body: '{}' });
const call = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'x' } });

describe('stream cap per principal', () => {
  test('N streams admitted, the N+1th refused with 429 + Retry-After; another principal still admitted', async () => {
    const cap = createStreamCap(3);
    const held = [get(), get(), post()];
    assert.equal(cap.admit(held[0]!, 'static:a'), undefined);
    assert.equal(cap.admit(held[1]!, 'static:a'), undefined);
    assert.equal(cap.admit(held[2]!, 'static:a', call(1)), undefined);
    assert.equal(cap.open('static:a'), 3);

    const refused = cap.admit(post(), 'static:a', call('over'));
    assert.ok(refused);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '5');
    const body = (await refused.json()) as { id: unknown; error: { code: number; message: string } };
    assert.equal(body.id, 'over');
    assert.equal(body.error.code, -32000);
    assert.match(body.error.message, /maxStreamsPerPrincipal 3/);
    const refusedGet = cap.admit(get(), 'static:a');
    assert.equal(refusedGet?.status, 429);
    assert.equal(((await refusedGet!.json()) as { id: unknown }).id, null);

    assert.equal(cap.admit(get(), 'static:b'), undefined, 'another principal is not affected');
    assert.equal(cap.open('static:a'), 3);
    assert.equal(cap.total(), 4);
  });

  test('release counts down (once per request), and frees a slot for the next stream', () => {
    const cap = createStreamCap(1);
    const first = get();
    assert.equal(cap.admit(first, 'anonymous'), undefined);
    assert.equal(cap.admit(get(), 'anonymous')?.status, 429);
    cap.release(first);
    cap.release(first);
    assert.equal(cap.open('anonymous'), 0);
    assert.equal(cap.total(), 0);
    assert.equal(cap.admit(get(), 'anonymous'), undefined);
    cap.release(get()); // never admitted: no effect
    assert.equal(cap.open('anonymous'), 1);
  });

  test('notifications, responses and DELETE never take a slot, so a client at the cap can still cancel and close', () => {
    const cap = createStreamCap(1);
    assert.equal(cap.admit(get(), 'anonymous'), undefined);
    assert.equal(cap.admit(post(), 'anonymous', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }), undefined);
    assert.equal(cap.admit(post(), 'anonymous', { jsonrpc: '2.0', id: 1, result: {} }), undefined);
    assert.equal(cap.admit(new Request('http://127.0.0.1/mcp', { method: 'DELETE' }), 'anonymous'), undefined);
    assert.equal(cap.open('anonymous'), 1);
  });

  test('holdsRequest: a method and a string/number id, alone or in a batch', () => {
    assert.equal(holdsRequest(call(0)), true);
    assert.equal(holdsRequest(call('a')), true);
    assert.equal(holdsRequest([{ jsonrpc: '2.0', method: 'notifications/initialized' }, call(2)]), true);
    assert.equal(holdsRequest({ jsonrpc: '2.0', id: null, method: 'x' }), false);
    assert.equal(holdsRequest({ jsonrpc: '2.0', id: { a: 1 }, method: 'x' }), false);
    assert.equal(holdsRequest('tools/call'), false);
    assert.equal(holdsRequest(null), false);
  });
});
