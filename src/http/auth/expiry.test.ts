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
  test('an event stream ends when the token expires, and its source is cancelled', async (t) => {
    // A fixed clock and mocked timers: the stream must still be open 1 ms before the expiry and end exactly at it,
    // in the expiry's own units, whatever the machine's load.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let cancelled = false;
    const res = endAtExpiry(new Response(endless(() => void (cancelled = true)), { headers: { 'content-type': 'text/event-stream' } }), 1_150, () => 1_000);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), ': hello\n\n');
    let ended = false;
    const next = reader.read().then((r) => ((ended = r.done), r));
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    t.mock.timers.tick(149);
    await settle();
    assert.equal(ended, false, 'not before the expiry');
    assert.equal(cancelled, false);
    t.mock.timers.tick(1);
    assert.equal((await next).done, true, 'ended at the expiry');
    await settle();
    assert.ok(cancelled, 'the source was cancelled');
  });

  test('JSON answers, streams without an expiry and far expiries are passed through untouched', () => {
    const json = new Response('{}', { headers: { 'content-type': 'application/json' } });
    assert.equal(endAtExpiry(json, Date.now()), json);
    const sse = new Response(endless(() => undefined), { headers: { 'content-type': 'text/event-stream' } });
    assert.equal(endAtExpiry(sse, undefined), sse);
    assert.equal(endAtExpiry(sse, Date.now() + 2 ** 32), sse);
  });
});
