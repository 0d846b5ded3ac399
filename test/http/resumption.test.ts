/**
 * Resumable legacy SSE (2025-11-25 sessions, bounded in-memory EventStore):
 * a tool call whose answer streams over SSE, a dropped connection, and a GET
 * with Last-Event-ID that replays what was missed, and only that stream's
 * events.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { delay, expectJsonRpcError, legacyHeaders, openLegacySession, postLegacy, readResponse, SseReader, startApp, within } from './helpers.js';
import type { JsonRpcMessage, Running, SseEvent } from './helpers.js';

const V = '2025-11-25';
/** A short SSE retry hint, so a test can honour it like a client would. */
const RETRY_MS = 150;

function resume(url: string, sessionId: string, lastEventId: string, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    headers: { ...legacyHeaders(V, sessionId), accept: 'text/event-stream', 'last-event-id': lastEventId },
    ...(signal ? { signal } : {}),
  });
}

/** Starts a progress_then_wait call; returns its first events (priming, progress) and an abort handle. */
async function startStreamingCall(
  r: Running,
  sessionId: string,
  id: number,
  waitMs: number,
): Promise<{ priming: SseEvent; progress: SseEvent; reader: SseReader; abort: () => Promise<void> }> {
  const controller = new AbortController();
  const res = await postLegacy(
    r.url,
    V,
    sessionId,
    { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'progress_then_wait', arguments: { waitMs }, _meta: { progressToken: `tok-${id}` } } },
    controller.signal,
  );
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
  const reader = new SseReader(res);
  const priming = await within(5_000, 'priming event', reader.next());
  assert.ok(priming, 'stream ended before the priming event');
  assert.ok(priming.id, 'priming event carries an id');
  assert.equal(priming.data, '', 'priming event has empty data');
  assert.equal(typeof priming.retry, 'number', 'priming event carries retry');
  const progress = await within(5_000, 'progress event', reader.next());
  assert.ok(progress?.id, 'progress event carries an id');
  const message = JSON.parse(progress.data) as JsonRpcMessage;
  assert.equal(message.method, 'notifications/progress');
  return {
    priming,
    progress,
    reader,
    abort: async () => {
      controller.abort();
      await reader.cancel();
    },
  };
}

/** Reads JSON-RPC messages from a (resumed) stream until it ends or `until` matches. */
async function collect(reader: SseReader, until: (m: JsonRpcMessage) => boolean): Promise<Array<{ id?: string; message: JsonRpcMessage }>> {
  const out: Array<{ id?: string; message: JsonRpcMessage }> = [];
  for (;;) {
    const next = await reader.nextMessage();
    if (next === null) return out;
    out.push({ ...(next.event.id !== undefined ? { id: next.event.id } : {}), message: next.message });
    if (until(next.message)) return out;
  }
}

// Event ids are <session tag>.<stream>.<seq> (src/http/store/event-ids.ts).
const streamOf = (eventId: string): string => eventId.slice(0, eventId.lastIndexOf('.'));

describe('resumption after a dropped SSE stream', () => {
  let r: Running;
  before(async () => {
    r = await startApp({ sseRetryMs: RETRY_MS });
  });
  after(async () => {
    await r.app.close();
  });

  test('event ids are unique and name their stream', async () => {
    const sid = await openLegacySession(r.url, V);
    const a = await startStreamingCall(r, sid, 1, 10);
    const rest = await within(5_000, 'rest of stream A', collect(a.reader, (m) => m.id === 1));
    const b = await startStreamingCall(r, sid, 2, 10);
    await within(5_000, 'rest of stream B', collect(b.reader, (m) => m.id === 2));
    const ids = [a.priming.id, a.progress.id, ...rest.map((e) => e.id), b.priming.id, b.progress.id];
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${JSON.stringify(ids)}`);
    assert.equal(streamOf(a.priming.id ?? ''), streamOf(a.progress.id ?? ''));
    assert.notEqual(streamOf(a.priming.id ?? ''), streamOf(b.priming.id ?? ''));
  });

  test('the result produced after the drop is replayed on GET with Last-Event-ID', async () => {
    const sid = await openLegacySession(r.url, V);
    const call = await startStreamingCall(r, sid, 10, 300);
    await call.abort();
    // Let the call finish while nobody listens.
    await delay(600);
    const res = await within(5_000, 'resume GET', resume(r.url, sid, call.progress.id ?? ''));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
    const replayed = await within(5_000, 'replayed events', collect(new SseReader(res), (m) => m.id === 10));
    assert.equal(replayed.length, 1, `expected only the result, got ${JSON.stringify(replayed)}`);
    const result = replayed[0];
    assert.equal(result?.message.id, 10);
    assert.deepEqual(result?.message.result?.content, [{ type: 'text', text: 'waited 300' }]);
    assert.equal(streamOf(result?.id ?? ''), streamOf(call.progress.id ?? ''), 'replayed event belongs to the dropped stream');
  });

  test('resuming from the priming event replays the progress and the result, in order', async () => {
    const sid = await openLegacySession(r.url, V);
    const call = await startStreamingCall(r, sid, 11, 50);
    await call.abort();
    await delay(300);
    const res = await within(5_000, 'resume GET', resume(r.url, sid, call.priming.id ?? ''));
    assert.equal(res.status, 200);
    const replayed = await within(5_000, 'replayed events', collect(new SseReader(res), (m) => m.id === 11));
    assert.deepEqual(
      replayed.map((e) => e.message.method ?? `response:${String(e.message.id)}`),
      ['notifications/progress', 'response:11'],
    );
  });

  test('reconnecting (after the retry hint) while the call is still running delivers the result on the resumed stream', async () => {
    const sid = await openLegacySession(r.url, V);
    const call = await startStreamingCall(r, sid, 12, 1_500);
    assert.equal(call.priming.retry, RETRY_MS);
    await call.abort();
    // A client waits the priming event's retry interval, then resumes; the tool is still waiting.
    await delay(call.priming.retry ?? RETRY_MS);
    const res = await within(5_000, 'resume GET', resume(r.url, sid, call.progress.id ?? ''));
    assert.equal(res.status, 200, `resume answered ${res.status}: ${res.status === 200 ? '' : await res.clone().text()}`);
    const replayed = await within(5_000, 'result on the resumed stream', collect(new SseReader(res), (m) => m.id === 12));
    assert.equal(replayed.at(-1)?.message.id, 12);
    assert.deepEqual(replayed.at(-1)?.message.result?.content, [{ type: 'text', text: 'waited 1500' }]);
    assert.ok(
      replayed.every((e) => e.message.method !== 'notifications/progress'),
      'nothing up to Last-Event-ID is sent again',
    );
  });

  test('replay never crosses to another stream of the same session', async () => {
    const sid = await openLegacySession(r.url, V);
    const a = await startStreamingCall(r, sid, 20, 200);
    await a.abort();
    // Stream B runs to completion in the same session while A is dropped.
    const b = await startStreamingCall(r, sid, 21, 10);
    const bRest = await within(5_000, 'stream B', collect(b.reader, (m) => m.id === 21));
    assert.equal(bRest.at(-1)?.message.id, 21);
    await delay(400);
    // A plain tool call on its own stream too.
    const c = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 22, method: 'tools/call', params: { name: 'echo', arguments: { text: 'C' } } });
    assert.equal((await readResponse(c)).id, 22);

    const res = await within(5_000, 'resume A', resume(r.url, sid, a.progress.id ?? ''));
    assert.equal(res.status, 200);
    const replayed = await within(5_000, 'replayed A', collect(new SseReader(res), () => false));
    assert.deepEqual(
      replayed.map((e) => e.message.id),
      [20],
      `only stream A's result may be replayed, got ${JSON.stringify(replayed)}`,
    );
    for (const e of replayed) assert.equal(streamOf(e.id ?? ''), streamOf(a.progress.id ?? ''));
  });

  test("another session's event id is not replayed", async () => {
    const sidA = await openLegacySession(r.url, V);
    const sidB = await openLegacySession(r.url, V);
    const a = await startStreamingCall(r, sidA, 30, 50);
    await a.abort();
    await delay(300);
    const res = await within(5_000, 'cross-session resume', resume(r.url, sidB, a.priming.id ?? ''));
    await expectJsonRpcError(res, 400, -32000, { id: null });
    // The owner can still resume it.
    const own = await within(5_000, 'own resume', resume(r.url, sidA, a.progress.id ?? ''));
    assert.equal(own.status, 200);
    const replayed = await within(5_000, 'own replay', collect(new SseReader(own), (m) => m.id === 30));
    assert.equal(replayed.at(-1)?.message.id, 30);
  });

  test('a malformed Last-Event-ID → 400 JSON-RPC error', async () => {
    const sid = await openLegacySession(r.url, V);
    const res = await resume(r.url, sid, 'not-an-event-id');
    await expectJsonRpcError(res, 400, -32000, { id: null });
  });

  test('a dropped stream is not a cancellation: the tool runs to completion', async () => {
    const sid = await openLegacySession(r.url, V);
    const controller = new AbortController();
    const started = r.probe.nextStart();
    const finishedBefore = r.probe.finished;
    const res = await postLegacy(
      r.url,
      V,
      sid,
      { jsonrpc: '2.0', id: 40, method: 'tools/call', params: { name: 'slow', arguments: { ms: 300 }, _meta: { progressToken: 'p' } } },
      controller.signal,
    );
    const reader = new SseReader(res);
    await within(5_000, 'slow start', started);
    await within(5_000, 'first event', reader.next());
    controller.abort();
    await reader.cancel();
    await within(
      5_000,
      'tool completion',
      (async () => {
        while (r.probe.finished === finishedBefore) await delay(25);
      })(),
    );
    assert.equal(r.probe.aborted, 0);
  });
});
