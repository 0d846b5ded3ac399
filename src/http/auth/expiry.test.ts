import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endAtExpiry } from './expiry.js';

function endless(onCancel: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(': hello\n\n'));
    },
    cancel: onCancel,
  });
}

describe('endAtExpiry', () => {
  test('an event stream ends when the token expires, and its source is cancelled', async () => {
    let cancelled = false;
    // The expiry timer is unref'd (a live server's sockets keep the process up): hold the loop open here.
    const keep = setInterval(() => undefined, 1_000);
    const started = Date.now();
    const res = endAtExpiry(new Response(endless(() => void (cancelled = true)), { headers: { 'content-type': 'text/event-stream' } }), Date.now() + 150);
    const text = await res.text();
    assert.equal(text, ': hello\n\n');
    assert.ok(Date.now() - started >= 100, 'not before the expiry');
    assert.ok(cancelled);
    clearInterval(keep);
  });

  test('JSON answers, streams without an expiry and far expiries are passed through untouched', () => {
    const json = new Response('{}', { headers: { 'content-type': 'application/json' } });
    assert.equal(endAtExpiry(json, Date.now()), json);
    const sse = new Response(endless(() => undefined), { headers: { 'content-type': 'text/event-stream' } });
    assert.equal(endAtExpiry(sse, undefined), sse);
    assert.equal(endAtExpiry(sse, Date.now() + 2 ** 32), sse);
  });
});
